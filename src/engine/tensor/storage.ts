/**
 * Tensor storage: every buffer the engine allocates is a Float32Array view over a
 * SharedArrayBuffer, so worker threads can read weights and write gradients without copying.
 */
export function allocFloat32(size: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(size * Float32Array.BYTES_PER_ELEMENT));
}

/** A shared copy of any numeric array. */
export function sharedCopy(values: ArrayLike<number>): Float32Array {
  const out = allocFloat32(values.length);
  out.set(values);
  return out;
}
