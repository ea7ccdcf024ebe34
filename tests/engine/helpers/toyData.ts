/** A small seeded classification problem: 3 Gaussian blobs in 6 dimensions. */
import { Rng } from '../../../src/engine/rng.ts';

export function blobs(n: number, seed = 7, dims = 6, classes = 3): { x: Float32Array; y: Float32Array; dims: number } {
  const r = new Rng(seed);
  const centers = Array.from({ length: classes }, () => Array.from({ length: dims }, () => r.normal() * 2));
  const x = new Float32Array(n * dims);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = r.int(classes);
    y[i] = c;
    for (let j = 0; j < dims; j++) x[i * dims + j] = centers[c][j] + r.normal();
  }
  return { x, y, dims };
}

export const mlpSpec = (dims: number, dropout = 0.2) => ({
  inputShape: [dims],
  layers: [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dropout', rate: dropout },
    { type: 'dense', units: 3, activation: 'softmax' },
  ],
});

export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i])))) return false;
  return true;
}
