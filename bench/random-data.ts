/** The random training data every bench uses: inputs uniform in [0, 1), labels of 10 classes, from a fixed seed. */
import { Rng } from '../src/engine/index.ts';

export function randomData(n: number, size: number): { x: Float32Array; y: Float32Array } {
  const rng = new Rng(1);
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = rng.float();
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(10);
  return { x, y };
}
