/**
 * Reads one uploaded file stream into memory as a list of chunks, gunzipping
 * it on the fly when it starts with the gzip magic (1f 8b), and counting the
 * DECOMPRESSED bytes against a budget shared by every file of the request.
 * The moment the count passes the budget the streams are torn down and a 413
 * is thrown, so a gzip bomb costs at most `budget` bytes of memory.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError } from '../shared/errors.ts';

/** Decompressed bytes still allowed for the rest of the request. */
export class ByteBudget {
  used = 0;
  constructor(readonly max: number) {}

  take(n: number, what: string): void {
    this.used += n;
    if (this.used > this.max) {
      throw new AppError('payload_too_large', `${what}: the upload is over ${this.max} bytes after decompression (maxUploadBytes)`);
    }
  }
}

export interface ReceivedFile {
  chunks: Uint8Array[];
  bytes: number;
  gzipped: boolean;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** Reads until at least two bytes are seen, so the magic can be checked; returns those chunks and whether the source ended. */
async function head(it: AsyncIterator<Uint8Array>): Promise<{ chunks: Uint8Array[]; ended: boolean }> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  while (n < 2) {
    const r = await it.next();
    if (r.done) return { chunks, ended: true };
    chunks.push(r.value);
    n += r.value.byteLength;
  }
  return { chunks, ended: false };
}

function firstTwo(chunks: Uint8Array[]): [number, number] {
  const b: number[] = [];
  for (const c of chunks) for (let i = 0; i < c.byteLength && b.length < 2; i++) b.push(c[i]);
  return [b[0] ?? -1, b[1] ?? -1];
}

/** The head chunks, then the rest of the source; stopping early closes the source (destroys the part's stream). */
async function* replay(first: Uint8Array[], ended: boolean, it: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  let done = ended;
  try {
    yield* first;
    while (!done) {
      const r = await it.next();
      if (r.done) done = true;
      else yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

/**
 * `name` is the form field (`x`, `y`, `file`), used in messages. Gzip errors
 * (a corrupt or truncated stream) are the client's: 422 `invalid_data`.
 */
export async function readUploadFile(source: AsyncIterable<Uint8Array>, name: string, budget: ByteBudget): Promise<ReceivedFile> {
  const it = source[Symbol.asyncIterator]();
  const start = await head(it);
  const [b0, b1] = firstTwo(start.chunks);
  const gzipped = b0 === GZIP_MAGIC_0 && b1 === GZIP_MAGIC_1;
  const input = replay(start.chunks, start.ended, it);
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (!gzipped) {
    for await (const c of input) {
      budget.take(c.byteLength, `file "${name}"`);
      chunks.push(c);
      bytes += c.byteLength;
    }
    return { chunks, bytes, gzipped };
  }
  // pipeline() destroys every stream on an error or an early exit from the loop below,
  // which stops pulling from the request: nothing more is decompressed.
  const gunzip = pipeline(Readable.from(input, { objectMode: false }), createGunzip(), () => {});
  try {
    for await (const c of gunzip as AsyncIterable<Buffer>) {
      budget.take(c.byteLength, `file "${name}"`);
      chunks.push(c);
      bytes += c.byteLength;
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new AppError('invalid_data', `file "${name}": the gzip stream is corrupt or truncated (${(e as Error).message})`);
    }
    throw e;
  } finally {
    gunzip.destroy();
  }
  return { chunks, bytes, gzipped };
}

/** One contiguous copy of a file's chunks (the engine's readers take one array). */
export function concatChunks(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(bytes);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
