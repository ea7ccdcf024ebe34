/**
 * The WebAssembly SIMD kernels: the shared conformance suite (the same one the plain
 * kernels pass), then what the suite's small sizes cannot reach: sizes past the register
 * tile and the cache blocks, operands that live in wasm memory (no copies), and sub-views.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { kernels, createWasmKernels, defaultWasmKernels } from '../../src/engine/kernels/wasm/index.ts';
import { runKernelSuite } from './tensorKernelSuite.ts';
import { assertClose } from './tensorGradCheck.ts';
import { VARIANTS, checkShape, rand, reference } from './kernelsWasmHelpers.ts';

runKernelSuite('wasm SIMD kernels', kernels);

test('wasm: plain SIMD (no relaxed) passes the suite sizes too', () => {
  const w = createWasmKernels({ relaxed: false });
  assert.equal(w.relaxed, false);
  const rng = new Rng(1);
  for (const [name, ta, tb] of VARIANTS) {
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [17, 9, 13], [8, 33, 6]]) checkShape(w[name], ta, tb, m, k, n, rng, name);
  }
});

test('wasm: odd sizes around the register tile and past the cache blocks', () => {
  const w = defaultWasmKernels();
  const rng = new Rng(2);
  const shapes = [[1, 7, 1], [2, 16, 16], [3, 1, 17], [7, 3, 15], [129, 129, 129], [33, 300, 47], [5, 513, 3], [130, 70, 530]];
  for (const [name, ta, tb] of VARIANTS) for (const [m, k, n] of shapes) checkShape(w[name], ta, tb, m, k, n, rng, name);
});

test('wasm: tiny cache blocks exercise every blocking loop (k blocks accumulate, edge tiles merge)', () => {
  const w = createWasmKernels({ kc: 5, mc: 4, nc: 16 });
  const rng = new Rng(3);
  for (const [name, ta, tb] of VARIANTS) {
    for (const [m, k, n] of [[9, 11, 35], [4, 5, 16], [13, 4, 33], [1, 23, 1]]) checkShape(w[name], ta, tb, m, k, n, rng, `${name} small blocks`);
  }
});

test('wasm: row ranges write only their rows, also with many blocks', () => {
  const w = createWasmKernels({ kc: 8, mc: 6, nc: 32 });
  const rng = new Rng(4);
  const [m, k, n] = [23, 19, 37];
  for (const [name, ta, tb] of VARIANTS) {
    const a = rand(m * k, rng);
    const b = rand(k * n, rng);
    const want = reference(a, b, m, k, n, ta, tb);
    const out = new Float32Array(m * n).fill(42);
    for (const [r0, r1] of [[5, 12], [12, 13], [13, 23]]) w[name](a, b, out, m, k, n, r0, r1);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const v = out[i * n + j];
        if (i < 5) assert.equal(v, 42, `${name}: row ${i} outside the ranges was written`);
        else assert.ok(Math.abs(v - want[i * n + j]) < 1e-4, `${name}: row ${i} col ${j}: ${v} vs ${want[i * n + j]}`);
      }
    }
  }
});

test('wasm: k = 0 gives zeros and n = 0 or an empty range writes nothing', () => {
  const w = defaultWasmKernels();
  for (const [name] of VARIANTS) {
    const out = new Float32Array(6).fill(7);
    w[name](new Float32Array(0), new Float32Array(0), out, 2, 0, 3, 0, 2);
    assert.deepEqual(Array.from(out), [0, 0, 0, 0, 0, 0]);
    const same = new Float32Array(6).fill(7);
    w[name](new Float32Array(6), new Float32Array(9), same, 2, 3, 3, 1, 1);
    assert.deepEqual(Array.from(same), [7, 7, 7, 7, 7, 7]);
  }
});

test('wasm: sub-views with offsets (batched matmul slices) are read at their offsets', () => {
  const w = defaultWasmKernels();
  const rng = new Rng(5);
  const [m, k, n] = [6, 10, 18];
  const a = rand(3 * m * k, rng);
  const b = rand(3 * k * n, rng);
  const out = new Float32Array(3 * m * n);
  for (const [name, ta, tb] of VARIANTS) {
    for (let s = 0; s < 3; s++) {
      const as = a.subarray(s * m * k, (s + 1) * m * k);
      const bs = b.subarray(s * k * n, (s + 1) * k * n);
      w[name](as, bs, out.subarray(s * m * n, (s + 1) * m * n), m, k, n, 0, m);
      assertClose(out.subarray(s * m * n, (s + 1) * m * n), reference(as, bs, m, k, n, ta, tb), `${name} batch ${s}`, 1e-5, 1e-5);
    }
  }
});

test('wasm: operands allocated in wasm memory are used in place, alone or mixed with copies', () => {
  const w = createWasmKernels();
  const rng = new Rng(6);
  const [m, k, n] = [21, 40, 35];
  for (const [name, ta, tb] of VARIANTS) {
    const a = rand(m * k, rng);
    const b = rand(k * n, rng);
    const want = reference(a, b, m, k, n, ta, tb);
    const wa = w.arena.alloc(m * k);
    const wb = w.arena.alloc(k * n);
    const wc = w.arena.alloc(m * n);
    wa.set(a);
    wb.set(b);
    assert.ok(w.arena.owns(wa) && !w.arena.owns(a));
    for (const [x, y, c] of [[wa, wb, wc], [a, wb, wc], [wa, b, new Float32Array(m * n)], [wa, wb, new Float32Array(m * n)]]) {
      c.fill(Number.NaN);
      w[name](x, y, c, m, k, n, 0, 7);
      w[name](x, y, c, m, k, n, 7, m);
      assertClose(c, want, `${name} in place`, 1e-5, 1e-5);
    }
    // A sub-view of an arena block is still in place, at its offset.
    const rows = w.arena.alloc((m + 2) * n).subarray(n, (m + 1) * n);
    w[name](wa, wb, rows, m, k, n, 0, m);
    assertClose(rows, want, `${name} into a sub-view`, 1e-5, 1e-5);
    w.arena.free(wc);
    w.arena.free(wb);
    w.arena.free(wa);
  }
});

test('wasm: growing memory keeps earlier views valid and recognised', () => {
  const w = createWasmKernels();
  const first = w.arena.alloc(100);
  first.fill(3);
  const big = w.arena.alloc(3 << 20); // 12 MiB: forces memory.grow
  assert.ok(w.arena.byteLength >= 12 << 20);
  assert.equal(first[99], 3);
  assert.ok(w.arena.owns(first) && w.arena.owns(big));
  const rng = new Rng(7);
  const a = w.arena.alloc(4 * 5);
  a.set(rand(20, rng));
  const b = first.subarray(0, 5 * 3);
  const c = w.arena.alloc(4 * 3);
  w.matmulRows(a, b, c, 4, 5, 3, 0, 4);
  assertClose(c, reference(a, b, 4, 5, 3, false, false), 'after growth', 1e-5, 1e-5);
});

test('wasm: matmulRowsNT into some columns of an array in wasm memory (rows ldc apart, no copy) gives the floats of a dense product', () => {
  const w = defaultWasmKernels();
  const rng = new Rng(8);
  for (const [m, k, n, ldc, c0] of [[128, 784, 56, 128, 0], [128, 784, 72, 128, 56], [33, 300, 17, 50, 30]]) {
    const a = w.arena.alloc(m * k);
    const b = w.arena.alloc(n * k);
    a.set(rand(m * k, rng));
    b.set(rand(n * k, rng));
    const dense = w.arena.alloc(m * n);
    w.matmulRowsNT(a, b, dense, m, k, n, 0, m);
    const wide = w.arena.alloc(m * ldc).fill(42);
    // Rows from 3 on: the row range and the stride together.
    w.matmulRowsNT(a, b, wide.subarray(c0), m, k, n, 3, m, ldc);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) assert.equal(wide[i * ldc + j], i >= 3 && j >= c0 && j < c0 + n ? dense[i * n + j - c0] : 42, `${m}x${k}x${n}: row ${i} column ${j}`);
    }
    for (const v of [a, b, dense, wide]) w.arena.free(v);
  }
});
