/** Shared helpers for the WebAssembly kernel tests: random operands and a float64 reference. */
import type { Rng } from '../../src/engine/rng.ts';
import type { MatmulKernel } from '../../src/engine/kernels/matmul.ts';
import { assertClose } from './tensorGradCheck.ts';

export type Variant = 'matmulRows' | 'matmulRowsNT' | 'matmulRowsTN' | 'matmulRowsTT';
export const VARIANTS: [Variant, boolean, boolean][] = [
  ['matmulRows', false, false],
  ['matmulRowsNT', false, true],
  ['matmulRowsTN', true, false],
  ['matmulRowsTT', true, true],
];

export function rand(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** C = op(A)·op(B) in float64, A stored [k,m] when ta, B stored [n,k] when tb. */
export function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = ta ? a[p * m + i] : a[i * k + p];
      for (let j = 0; j < n; j++) out[i * n + j] += av * (tb ? b[j * k + p] : b[p * n + j]);
    }
  }
  return out;
}

/** Runs `kernel` on every row and checks it against the reference (tolerance grows with k). */
export function checkShape(kernel: MatmulKernel, ta: boolean, tb: boolean, m: number, k: number, n: number, rng: Rng, label: string): void {
  const a = rand(m * k, rng);
  const b = rand(k * n, rng);
  const out = new Float32Array(m * n).fill(Number.NaN);
  kernel(a, b, out, m, k, n, 0, m);
  assertClose(out, reference(a, b, m, k, n, ta, tb), `${label} ${m}x${k}x${n}`, 2e-6 * Math.sqrt(k + 1), 1e-5);
}
