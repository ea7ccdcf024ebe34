/**
 * Large byte values (data set chunks, checkpoints, sample grids) cross to and from Postgres
 * as base64 text, turned into bytea by the server (`decode(..., 'base64')`,
 * `encode(..., 'base64')`). Through the embedded database's Prisma adapter a bytea parameter
 * or column is hex text built and parsed a byte at a time in JavaScript: measured on PGlite
 * 0.5, ~290 ms per MiB written and ~80 per MiB read, against ~23 and ~8 as base64 (Node's
 * and Postgres's native codecs). Fashion-MNIST's upload took 15 s, and each job spent 4 s
 * of the service's main thread reading it back. The pg driver is fast either way; one path
 * serves both.
 */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Postgres's encode() breaks lines every 76 characters; Node's decoder skips them. */
export function fromBase64(text: string): Uint8Array {
  const b = Buffer.from(text, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
