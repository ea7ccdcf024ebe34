/**
 * y = x * scale + offset elementwise, in float32 arithmetic (two roundings, as Keras's
 * Rescaling and PyTorch compute it on float32 tensors): the reference for the wasm kernel.
 */
export function scaleShiftRange(x: Float32Array, y: Float32Array, n: number, scale: number, offset: number): void {
  const s = Math.fround(scale);
  const o = Math.fround(offset);
  for (let i = 0; i < n; i++) y[i] = Math.fround(x[i] * s) + o;
}

export type ScaleShiftKernel = typeof scaleShiftRange;
