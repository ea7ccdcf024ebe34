/**
 * Every error a client can see, defined once: a stable code, the HTTP status it
 * maps to, and what it means. The API turns an AppError into
 * `{ statusCode, code, message }`; nothing else decides a status code.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, description: 'The request is malformed (bad JSON, wrong content type, bad header).' },
  validation_failed: { status: 400, description: 'A field of the body, query string or path is missing or invalid; the message names it.' },
  non_finite_number: { status: 400, description: 'A number is NaN or infinite (for example "Infinity" or 1e400); the message names the field.' },
  unauthorized: { status: 401, description: 'The Authorization header is missing, malformed, or holds an unknown or revoked key.' },
  not_found: { status: 404, description: 'No such route, or no such object for this tenant.' },
  no_samples: { status: 404, description: 'The job will never have a sample grid: it is not a gan job, or its samples are not images ([h, w] or [h, w, 1|3|4]). (A gan job without a checkpoint yet is a plain not_found.)' },
  request_timeout: { status: 408, description: 'The request did not arrive in full in time.' },
  conflict: { status: 409, description: 'The object is in a state that does not allow this (for example a finished job, or a data set in use).' },
  payload_too_large: { status: 413, description: 'The body or an uploaded file is larger than allowed (decompressed bytes count).' },
  unsupported_media_type: { status: 415, description: 'The Content-Type is not one this route accepts.' },
  invalid_spec: { status: 422, description: 'The model spec or training configuration cannot run; the message names the layer index, field and shapes.' },
  invalid_data: { status: 422, description: 'An uploaded data set is malformed; the message names the row, column or byte.' },
  limit_exceeded: { status: 422, description: "The request is over one of the tenant's limits (parameters, memory, compute)." },
  internal: { status: 500, description: 'An unexpected failure; it is logged with the request id.' },
  not_ready: { status: 503, description: 'The database or the queue is unreachable.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  override name = 'AppError';
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.statusCode = ERROR_CODES[code].status;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
