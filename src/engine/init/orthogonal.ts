/**
 * Keras's `orthogonal` initializer from the engine's Rng: a matrix of standard normal
 * draws made orthonormal by modified Gram-Schmidt (the Q of its QR decomposition with a
 * positive diagonal in R, as Keras's sign correction gives), times `gain`.
 *
 * A tensor [rows, ...rest] is seen as a rows × cols matrix (cols = product of rest). With
 * rows ≥ cols the columns are orthonormal; with rows < cols, the rows. For a recurrent
 * weight in PyTorch layout [G·units, units] (Keras's recurrent_kernel [units, G·units]
 * transposed), the units columns are orthonormal, as in Keras.
 */
import type { Rng } from '../rng.ts';

export function orthogonalInit(out: Float32Array, shape: readonly number[], gain: number, rng: Rng): void {
  const rows = shape.length === 0 ? 1 : shape[0];
  const cols = rows === 0 ? 0 : out.length / rows;
  // q: `vecs` orthonormal vectors of length `len`, stored one per row (Float64 for accuracy).
  const len = Math.max(rows, cols);
  const vecs = Math.min(rows, cols);
  const q = new Float64Array(len * vecs);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let v = 0; v < vecs; v++) {
    const a = v * len;
    for (let w = 0; w < v; w++) {
      const b = w * len;
      let dot = 0;
      for (let k = 0; k < len; k++) dot += q[a + k] * q[b + k];
      for (let k = 0; k < len; k++) q[a + k] -= dot * q[b + k];
    }
    let norm = 0;
    for (let k = 0; k < len; k++) norm += q[a + k] * q[a + k];
    const inv = 1 / Math.sqrt(norm);
    for (let k = 0; k < len; k++) q[a + k] *= inv;
  }
  if (rows >= cols) {
    // column v of out = vector v
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * q[c * len + r];
  } else {
    for (let i = 0; i < rows * cols; i++) out[i] = gain * q[i];
  }
}
