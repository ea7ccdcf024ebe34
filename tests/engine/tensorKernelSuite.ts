/**
 * The conformance suite every kernel implementation must pass (the plain TypeScript kernels
 * today, WebAssembly SIMD later): each kernel against a naive float64 reference, on odd
 * sizes, and on partial row ranges (a kernel writes only its rows).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import type { MatmulKernel, BinaryOp, StridedMatmulKernel, UnaryOp } from '../../src/engine/kernels/index.ts';
import { assertClose } from './tensorGradCheck.ts';

export interface KernelSet {
  matmulRows: MatmulKernel;
  matmulRowsNT: StridedMatmulKernel;
  matmulRowsTN: MatmulKernel;
  matmulRowsTT: MatmulKernel;
  matmulRowsTNAcc: MatmulKernel;
  unaryRange: (op: UnaryOp, a: Float32Array, out: Float32Array, start: number, end: number) => void;
  binaryRange: (op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, start: number, end: number) => void;
  sumAxisRange: (a: Float32Array, out: Float32Array, len: number, inner: number, s: number, e: number) => void;
  maxAxisRange: (a: Float32Array, out: Float32Array, len: number, inner: number, s: number, e: number) => void;
}

function rand(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

/** Naive reference: C[i,j] = Σ_p A(i,p)·B(p,j) with A/B read transposed as asked. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  }
  return out;
}

export function runKernelSuite(label: string, kernels: KernelSet): void {
  const variants: [string, MatmulKernel, boolean, boolean][] = [
    ['matmulRows', kernels.matmulRows, false, false],
    ['matmulRowsNT', kernels.matmulRowsNT, false, true],
    ['matmulRowsTN', kernels.matmulRowsTN, true, false],
    ['matmulRowsTT', kernels.matmulRowsTT, true, true],
  ];
  for (const [name, kernel, ta, tb] of variants) {
    test(`${label}: ${name} matches the reference on odd sizes and row ranges`, () => {
      const rng = new Rng(5);
      for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [17, 9, 13], [8, 33, 6], [2, 0, 3]]) {
        const a = rand(m * k, rng);
        const b = rand(k * n, rng);
        const want = reference(a, b, m, k, n, ta, tb);
        const out = new Float32Array(m * n).fill(Number.NaN);
        kernel(a, b, out, m, k, n, 0, m);
        assertClose(out, want, `${name} ${m}x${k}x${n}`, 1e-5, 1e-5);
        if (m >= 3) {
          const part = new Float32Array(m * n).fill(42);
          kernel(a, b, part, m, k, n, 1, m - 1);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const v = part[i * n + j];
              if (i === 0 || i === m - 1) assert.equal(v, 42, `${name}: row ${i} outside the range was written`);
              else assert.ok(Math.abs(v - want[i * n + j]) < 1e-5, `${name}: row ${i} in the range`);
            }
          }
        }
      }
    });
  }

  test(`${label}: matmulRowsNT writes rows ldc apart (some columns of a wider array), the floats of a dense output, nothing else`, () => {
    const rng = new Rng(7);
    for (const [m, k, n, ldc, c0] of [[5, 7, 3, 8, 2], [17, 33, 16, 40, 8], [130, 20, 24, 64, 40], [3, 300, 10, 10, 0]]) {
      const a = rand(m * k, rng);
      const b = rand(n * k, rng);
      const dense = new Float32Array(m * n);
      kernels.matmulRowsNT(a, b, dense, m, k, n, 0, m);
      const wide = new Float32Array(m * ldc).fill(42);
      kernels.matmulRowsNT(a, b, wide.subarray(c0), m, k, n, 1, m, ldc);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < ldc; j++) {
          const inside = i >= 1 && j >= c0 && j < c0 + n;
          assert.equal(wide[i * ldc + j], inside ? dense[i * n + j - c0] : 42, `${m}x${k}x${n} ldc ${ldc}: row ${i} column ${j}`);
        }
      }
    }
  });

  test(`${label}: matmulRowsTNAcc adds aᵀ·b onto out, only on its rows`, () => {
    const rng = new Rng(6);
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [17, 300, 13], [8, 33, 6], [2, 0, 3], [5, 600, 40]]) {
      const a = rand(k * m, rng);
      const b = rand(k * n, rng);
      const base = rand(m * n, rng);
      const prod = reference(a, b, m, k, n, true, false);
      const want = Float64Array.from(prod, (v, i) => v + base[i]);
      const out = base.slice();
      kernels.matmulRowsTNAcc(a, b, out, m, k, n, 0, m);
      assertClose(out, want, `matmulRowsTNAcc ${m}x${k}x${n}`, 1e-5, 1e-5);
      if (m >= 3) {
        const part = base.slice();
        kernels.matmulRowsTNAcc(a, b, part, m, k, n, 1, m - 1);
        for (let j = 0; j < n; j++) {
          assert.equal(part[j], base[j], 'row 0 outside the range is untouched');
          assert.equal(part[(m - 1) * n + j], base[(m - 1) * n + j], 'the last row outside the range is untouched');
        }
      }
    }
  });

  test(`${label}: elementwise and reduction kernels`, () => {
    const rng = new Rng(9);
    const a = rand(10, rng);
    const b = rand(10, rng);
    const out = new Float32Array(10);
    kernels.binaryRange('mul', a, b, out, 2, 8);
    for (let i = 0; i < 10; i++) assert.equal(out[i], i >= 2 && i < 8 ? Math.fround(a[i] * b[i]) : 0);
    kernels.unaryRange('exp', a, out, 0, 10);
    assertClose(out, Array.from(a, Math.exp), 'exp');
    kernels.unaryRange('sigmoid', Float32Array.of(-1e4, 0, 1e4), out, 0, 3);
    assert.deepEqual(Array.from(out.subarray(0, 3)), [0, 0.5, 1]);
    // [2,3,2] reduced over the middle axis
    const x = Float32Array.from({ length: 12 }, (_, i) => i);
    const s = new Float32Array(4);
    kernels.sumAxisRange(x, s, 3, 2, 0, 2);
    assert.deepEqual(Array.from(s), [6, 9, 24, 27]);
    kernels.maxAxisRange(x, s, 3, 2, 0, 2);
    assert.deepEqual(Array.from(s), [4, 5, 10, 11]);
  });
}
