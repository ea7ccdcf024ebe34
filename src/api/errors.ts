/**
 * The one place that turns any thrown error into an HTTP response
 * `{ statusCode, code, message }`. Routes throw AppError (or let Fastify's
 * validation fail); nothing else chooses a status code.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './types.ts';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.ts';

interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
}

/** Fastify's own error codes that are the client's fault, and what we call them. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_TYPE: 'bad_request',
  FST_ERR_CTP_EMPTY_TYPE: 'bad_request',
  FST_REQ_FILE_TOO_LARGE: 'payload_too_large',
  FST_FILES_LIMIT: 'payload_too_large',
  FST_PARTS_LIMIT: 'payload_too_large',
  FST_FIELDS_LIMIT: 'payload_too_large',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
};

export function toErrorBody(err: unknown, bodyLimit?: number): ErrorBody {
  if (err instanceof AppError) {
    return { statusCode: err.statusCode, code: err.code, message: err.message };
  }
  const fe = err as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (fe && fe.validation) {
    return { statusCode: 400, code: 'validation_failed', message: fe.message ?? 'invalid request' };
  }
  if (fe && fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && bodyLimit !== undefined) {
    return { statusCode: 413, code: 'payload_too_large', message: `the request body is larger than ${bodyLimit} bytes (TRAINYARD_BODY_LIMIT); send less per request, e.g. a smaller batch of inputs` };
  }
  if (fe && typeof fe.code === 'string' && fe.code in FASTIFY_CODES) {
    const code = FASTIFY_CODES[fe.code];
    return { statusCode: ERROR_CODES[code].status, code, message: fe.message ?? code };
  }
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode =
      fe.statusCode === 413 ? 'payload_too_large'
      : fe.statusCode === 415 ? 'unsupported_media_type'
      : fe.statusCode === 404 ? 'not_found'
      : fe.statusCode === 408 ? 'request_timeout'
      : 'bad_request';
    return { statusCode: ERROR_CODES[code].status, code, message: fe.message ?? code };
  }
  return { statusCode: 500, code: 'internal', message: 'internal error' };
}

export function registerErrorHandling(app: App, bodyLimit?: number): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const body = toErrorBody(err, bodyLimit);
    if (body.statusCode >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ code: body.code, msg: body.message }, 'request refused');
    return reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { statusCode: 404, code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` };
    return reply.status(404).send(body);
  });
}
