/**
 * Receives a data set upload: the multipart parts in whatever order they come
 * (files may precede `format`), text fields as strings, files read through
 * readUploadFile (gunzipped when gzipped, all of them together capped in
 * decompressed bytes). Unknown or repeated parts are refused as they arrive,
 * before their content is read; which files a format needs is checked once
 * `format` is known (datasetForm).
 */
import type { Multipart } from '@fastify/multipart';
import { AppError } from '../shared/errors.ts';
import { ByteBudget, readUploadFile, type ReceivedFile } from './upload-file.ts';

export const UPLOAD_FIELDS = ['format', 'name', 'labelColumn', 'numClasses', 'labels'] as const;
export const UPLOAD_FILES = ['x', 'y', 'file'] as const;

export interface ReceivedUpload {
  fields: Record<string, string>;
  files: Record<string, ReceivedFile>;
  /** Decompressed bytes over all files. */
  bytes: number;
}

function has(list: readonly string[], name: string): boolean {
  return list.includes(name);
}

const EXPECTED = `expected the fields ${UPLOAD_FIELDS.join(', ')} and the files ${UPLOAD_FILES.join(', ')}`;

/** Refuses a part that is unknown, of the wrong kind, or repeated. */
function checkPart(part: Multipart, seen: ReceivedUpload): void {
  const name = part.fieldname;
  if (part.type === 'field') {
    if (has(UPLOAD_FILES, name)) throw new AppError('validation_failed', `"${name}" must be sent as a file, not a text field`);
    if (!has(UPLOAD_FIELDS, name)) throw new AppError('validation_failed', `unknown field "${name}"; ${EXPECTED}`);
    if (name in seen.fields) throw new AppError('validation_failed', `the field "${name}" is given more than once`);
    if (part.valueTruncated) throw new AppError('validation_failed', `the field "${name}" is too long`);
    return;
  }
  if (has(UPLOAD_FIELDS, name)) throw new AppError('validation_failed', `"${name}" must be a text field, not a file`);
  if (!has(UPLOAD_FILES, name)) throw new AppError('validation_failed', `unknown file "${name}"; ${EXPECTED}`);
  if (name in seen.files) throw new AppError('validation_failed', `the file "${name}" is given more than once`);
}

/**
 * `early` runs after each text field and before each file's content is read,
 * with the names of the files so far (and the one arriving), so a bad
 * `format`, or a file the format does not take, is refused before more bytes
 * are read.
 */
export async function receiveUpload(
  parts: AsyncIterable<Multipart>,
  maxBytes: number,
  early: (fields: Readonly<Record<string, string>>, files: readonly string[]) => void = () => {},
): Promise<ReceivedUpload> {
  const got: ReceivedUpload = { fields: {}, files: {}, bytes: 0 };
  const budget = new ByteBudget(maxBytes);
  try {
    await receiveParts(parts, got, budget, early);
  } catch (e) {
    throw asClientError(e);
  }
  return got;
}

/** The multipart parser's own errors (a body cut short, a bad boundary) are plain Errors: they are the client's, a 400. */
function asClientError(e: unknown): unknown {
  if (e instanceof AppError || !(e instanceof Error) || 'statusCode' in e) return e;
  if (/multipart|part terminated|malformed|boundary|unexpected end/i.test(e.message)) {
    return new AppError('bad_request', `the multipart body is malformed or ended early (${e.message})`, { cause: e });
  }
  return e;
}

async function receiveParts(
  parts: AsyncIterable<Multipart>,
  got: ReceivedUpload,
  budget: ByteBudget,
  early: (fields: Readonly<Record<string, string>>, files: readonly string[]) => void,
): Promise<void> {
  for await (const part of parts) {
    try {
      checkPart(part, got);
      if (part.type === 'field') {
        got.fields[part.fieldname] = String(part.value);
        early(got.fields, Object.keys(got.files));
        continue;
      }
      early(got.fields, [...Object.keys(got.files), part.fieldname]);
      const file = await readUploadFile(part.file, part.fieldname, budget);
      // busboy's raw-size cap (a little above the decompressed one) cuts the stream short.
      if (part.file.truncated) {
        throw new AppError('payload_too_large', `file "${part.fieldname}": the upload is over ${budget.max} bytes (maxUploadBytes)`);
      }
      got.files[part.fieldname] = file;
      got.bytes = budget.used;
    } catch (e) {
      // Stop reading the request: destroying the part's stream ends multipart parsing.
      if (part.type === 'file' && !part.file.destroyed) part.file.destroy();
      throw e;
    }
  }
}
