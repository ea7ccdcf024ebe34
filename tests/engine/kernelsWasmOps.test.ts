/**
 * The WebAssembly elementwise kernels equal their plain TypeScript references bit for bit:
 * Adam (every option: clip by value and norm scale, L2, decoupled decay, odd lengths and
 * unaligned ranges, NaN, zeros and huge gradients) and addInto.
 */
import { scaleShiftRange } from '../../src/engine/kernels/scaleShift.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmKernels } from '../../src/engine/kernels/wasm/index.ts';
import { adamCoefficients, adamRange } from '../../src/engine/optim/adamUpdate.ts';
import { Rng } from '../../src/engine/index.ts';
import { biasReluForward, reluBackwardBias } from '../../src/engine/kernels/reluEpilogue.ts';
import { col2imRange, im2colRange, type ConvGeometry } from '../../src/engine/kernels/im2col.ts';
import { maxPoolBackward, maxPoolForward } from '../../src/engine/kernels/maxPool.ts';
import { activationBackward, activationForward } from '../../src/engine/layers/activations.ts';

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('wasm adam equals adamRange bit for bit over options, lengths and ranges', () => {
  const wk = createWasmKernels();
  const rng = new Rng(7);
  const cases = [
    { scale: 1, clip: Infinity, l2: 0, shrink: 1 },
    { scale: 0.37, clip: 0.05, l2: 0, shrink: 1 },
    { scale: 1, clip: Infinity, l2: 0.01, shrink: 1 },
    { scale: 1, clip: Infinity, l2: 0, shrink: 1 - 1e-3 * 0.004 },
  ];
  for (const [ci, c] of cases.entries()) {
    for (const n of [1, 3, 4, 7, 64, 1001]) {
      for (const [from, to] of [[0, n], [1, n], [0, Math.max(0, n - 2)], [Math.floor(n / 3), Math.floor((2 * n) / 3)]]) {
        const mk = () => Float32Array.from({ length: n }, () => (rng.float() - 0.5) * 2);
        const w0 = mk(), g0 = mk().map((x) => x * 0.1), m0 = mk().map((x) => x * 0.01), v0 = mk().map((x) => x * x * 1e-4);
        if (n > 3) {
          g0[0] = Number.NaN;
          g0[1] = 0;
          g0[2] = -0;
          g0[3] = 1e30;
        }
        if (n > 8) {
          // Zero gradients over moments at the edge of the normal range: they decay into
          // subnormals, which both kernels flush to +0.
          g0.fill(0, 4, 9);
          m0[4] = 1.2e-38;
          m0[5] = -1.3e-38;
          v0[6] = 1.1757e-38;
          m0[7] = 5e-39;
          v0[8] = 3e-40;
        }
        const ref = [w0, g0, m0, v0].map((a) => a.slice());
        const wasm = [w0, g0, m0, v0].map((a) => {
          const x = wk.arena.alloc(n);
          x.set(a);
          return x;
        });
        for (let t = 1; t <= 3; t++) {
          const k = adamCoefficients({ lr: 1e-3, t, b1: 0.9, b2: 0.999, eps: 1e-7, ...c });
          adamRange(ref[0], ref[1], ref[2], ref[3], from, to, k);
          wk.adam(wasm[0], wasm[1], wasm[2], wasm[3], from, to, k);
        }
        for (let j = 0; j < 4; j++) assert.deepEqual(bits(wasm[j]), bits(ref[j]), `case ${ci}, n ${n}, [${from}, ${to}), array ${j}`);
        if (to > from) assert.notDeepEqual(bits(ref[0]), bits(w0), 'the update changed the weights');
        for (const x of wasm) wk.arena.free(x);
      }
    }
  }
});

test('adam flushes moments that fall under the smallest normal float to +0, in both kernels', () => {
  const wk = createWasmKernels();
  const n = 11; // two vectors of 4 and a scalar tail of 3
  const kernels = [
    (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array) =>
      adamRange(w, g, m, v, 0, n, adamCoefficients({ lr: 1e-3, t: 5, b1: 0.9, b2: 0.999, eps: 1e-7, scale: 1, clip: Infinity, l2: 0, shrink: 1 })),
    (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array) =>
      wk.adam(w, g, m, v, 0, n, adamCoefficients({ lr: 1e-3, t: 5, b1: 0.9, b2: 0.999, eps: 1e-7, scale: 1, clip: Infinity, l2: 0, shrink: 1 })),
  ];
  for (const [ki, run] of kernels.entries()) {
    const arrays = [0, 1, 2, 3].map(() => wk.arena.alloc(n));
    const [w, g, m, v] = arrays;
    w.fill(0.5);
    g.fill(0);
    // Every element: m and v one b1 / b2 step from the subnormal range (or in it already).
    m.set([1.2e-38, -1.2e-38, 1.3e-38, 5e-39, -5e-39, 1e-45, 1.2e-38, -1.2e-38, 1.25e-38, 2e-39, 1.2e-38]);
    // (v decays by b2 = 0.999: it starts within 0.1% of 2^-126 = 1.17549e-38.)
    v.set([1.1757e-38, 1.1756e-38, 1e-40, 1.1757e-38, 1e-45, 1.1757e-38, 3e-39, 1.1756e-38, 1.1757e-38, 1.1757e-38, 0]);
    run(w, g, m, v);
    assert.deepEqual(bits(m), new Array(n).fill(0), `kernel ${ki}: m is +0, not subnormal`);
    assert.deepEqual(bits(v), new Array(n).fill(0), `kernel ${ki}: v is +0, not subnormal`);
    assert.deepEqual(Array.from(w), new Array(n).fill(0.5), `kernel ${ki}: no update from them`);
    // A moment that stays normal is kept as is.
    m[0] = 1e-30;
    v[0] = 1e-30;
    run(w, g, m, v);
    assert.equal(m[0], Math.fround(Math.fround(1e-30) * Math.fround(0.9)));
    for (const a of arrays) wk.arena.free(a);
  }
});

test('wasm adam falls back to adamRange for views outside its memory, with the same result', () => {
  const wk = createWasmKernels();
  const n = 37;
  const a = Array.from({ length: 4 }, (_, j) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + j) * 0.1 + (j === 3 ? 0.2 : 0)));
  const b = a.map((x) => x.slice());
  const k = adamCoefficients({ lr: 1e-2, t: 1, b1: 0.9, b2: 0.999, eps: 1e-8, scale: 1, clip: Infinity, l2: 0, shrink: 1 });
  wk.adam(a[0], a[1], a[2], a[3], 0, n, k);
  adamRange(b[0], b[1], b[2], b[3], 0, n, k);
  assert.deepEqual(bits(a[0]), bits(b[0]));
});

test('wasm addInto equals the plain loop', () => {
  const wk = createWasmKernels();
  for (const n of [0, 1, 5, 8, 1003]) {
    const d = wk.arena.alloc(n);
    const s = wk.arena.alloc(n);
    for (let i = 0; i < n; i++) {
      d[i] = Math.cos(i) * 3;
      s[i] = Math.sin(i) / 7;
    }
    const ref = Float32Array.from(d, (x, i) => x + s[i]);
    wk.addInto(d, s, n);
    assert.deepEqual(bits(d), bits(ref), `n ${n}`);
  }
});

test('wasm conv epilogues (bias + relu forward, relu backward + bias grad) equal the references bit for bit', () => {
  const wk = createWasmKernels();
  const rng = new Rng(11);
  for (const [rows, f] of [[1, 1], [3, 5], [7, 16], [5, 32], [2, 6]]) {
    const n = rows * f;
    const z0 = Float32Array.from({ length: n }, () => rng.float() * 2 - 1);
    z0[0] = Number.NaN;
    if (n > 3) {
      z0[1] = -0;
      z0[2] = Number.NEGATIVE_INFINITY;
      z0[3] = Number.POSITIVE_INFINITY;
    }
    const dy0 = Float32Array.from({ length: n }, () => rng.float() - 0.5);
    if (n > 4) {
      dy0[3] = Number.NaN;
      dy0[4] = -0;
    }
    const bias0 = Float32Array.from({ length: f }, () => rng.float() - 0.5);
    const inArena = (a: Float32Array): Float32Array => {
      const x = wk.arena.alloc(a.length);
      x.set(a);
      return x;
    };
    for (const withBias of [true, false]) {
      const zr = z0.slice(), ar = new Float32Array(n);
      const zw = inArena(z0), aw = wk.arena.alloc(n);
      biasReluForward(zr, ar, withBias ? bias0 : null, rows, f);
      wk.biasReluForward(zw, aw, withBias ? inArena(bias0) : null, rows, f);
      assert.deepEqual(Array.from(zw), Array.from(zr), `forward z, ${rows}x${f}, bias ${withBias}`);
      assert.deepEqual(Array.from(aw), Array.from(ar), `forward a, ${rows}x${f}, bias ${withBias}`);
      const dzr = new Float32Array(n), bgr = Float32Array.from(bias0);
      const dzw = wk.arena.alloc(n), bgw = inArena(bias0);
      reluBackwardBias(zr, dy0, dzr, withBias ? bgr : null, rows, f);
      wk.reluBackwardBias(zw, inArena(dy0), dzw, withBias ? bgw : null, rows, f);
      assert.deepEqual(Array.from(dzw), Array.from(dzr), `backward dz, ${rows}x${f}, bias ${withBias}`);
      assert.deepEqual(bits(bgw), bits(bgr), `bias grad, ${rows}x${f}, bias ${withBias}`);
    }
  }
});

test('wasm im2col / col2im equal the references over padding, strides, dilation, channels and sample ranges', () => {
  const wk = createWasmKernels();
  const rng = new Rng(5);
  const geometries: ConvGeometry[] = [
    { h: 5, w: 5, c: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 1, padLeft: 1, outH: 5, outW: 5 },
    { h: 6, w: 7, c: 16, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 1, padLeft: 1, outH: 6, outW: 7 },
    { h: 8, w: 9, c: 3, kh: 4, kw: 3, sh: 2, sw: 3, dh: 1, dw: 1, padTop: 1, padLeft: 0, outH: 4, outW: 3 },
    { h: 9, w: 9, c: 5, kh: 3, kw: 3, sh: 1, sw: 2, dh: 2, dw: 2, padTop: 2, padLeft: 2, outH: 9, outW: 5 },
    { h: 1, w: 12, c: 6, kh: 1, kw: 5, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 2, outH: 1, outW: 12 },
    // Runs of 1 to 4 floats (moved inline, not by the copy loop): whole kernel rows of
    // kw·c = 2, 4, 1 and 3, and edge pixels of c = 2, 4 and 1.
    { h: 5, w: 6, c: 2, kh: 2, kw: 2, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 1, padLeft: 1, outH: 5, outW: 6 },
    { h: 4, w: 5, c: 4, kh: 3, kw: 1, sh: 1, sw: 2, dh: 1, dw: 1, padTop: 1, padLeft: 0, outH: 4, outW: 3 },
    { h: 5, w: 5, c: 1, kh: 2, kw: 2, sh: 2, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 1, outH: 3, outW: 5 },
    { h: 6, w: 6, c: 1, kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 1, padLeft: 1, outH: 6, outW: 6 },
    { h: 7, w: 7, c: 1, kh: 3, kw: 3, sh: 2, sw: 2, dh: 1, dw: 2, padTop: 2, padLeft: 2, outH: 4, outW: 4 },
  ];
  for (const [gi, g] of geometries.entries()) {
    const samples = 3;
    const img = g.h * g.w * g.c;
    const cols = g.outH * g.outW * g.kh * g.kw * g.c;
    const x = wk.arena.alloc(samples * img);
    for (let i = 0; i < x.length; i++) x[i] = rng.float() - 0.5;
    // Ranges ending before the last sample too: a run written past its range's end would
    // show in the next sample's rows, still 7 here.
    for (const [s0, s1] of [[0, samples], [1, 3], [2, 2], [0, 1], [0, 2], [1, 2]]) {
      const colRef = new Float32Array(samples * cols).fill(7);
      const colWasm = wk.arena.alloc(samples * cols);
      colWasm.fill(7);
      im2colRange(x.slice(), g, colRef, s0, s1);
      wk.im2colRange(x, g, colWasm, s0, s1);
      assert.deepEqual(Array.from(colWasm), Array.from(colRef), `im2col geometry ${gi} [${s0}, ${s1})`);
      const dxRef = Float32Array.from({ length: samples * img }, (_, i) => Math.sin(i));
      const dxWasm = wk.arena.alloc(samples * img);
      dxWasm.set(dxRef);
      for (let i = 0; i < colWasm.length; i++) colWasm[i] = rng.float() - 0.5;
      col2imRange(colWasm.slice(), g, dxRef, s0, s1);
      wk.col2imRange(colWasm, g, dxWasm, s0, s1);
      assert.deepEqual(bits(dxWasm), bits(dxRef), `col2im geometry ${gi} [${s0}, ${s1})`);
    }
  }
});

test('wasm max pooling equals the reference: values, winner indices (first maximum), NaN, edges, backward', () => {
  const wk = createWasmKernels();
  const rng = new Rng(9);
  const geometries: ConvGeometry[] = [
    { h: 28, w: 28, c: 16, kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1, padTop: 0, padLeft: 0, outH: 14, outW: 14 },
    { h: 7, w: 7, c: 3, kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1, padTop: 0, padLeft: 0, outH: 4, outW: 4 },
    { h: 5, w: 6, c: 6, kh: 3, kw: 3, sh: 2, sw: 1, dh: 1, dw: 1, padTop: 1, padLeft: 1, outH: 3, outW: 6 },
    { h: 4, w: 4, c: 1, kh: 2, kw: 2, sh: 1, sw: 1, dh: 1, dw: 1, padTop: 0, padLeft: 0, outH: 3, outW: 3 },
  ];
  for (const [gi, g] of geometries.entries()) {
    const batch = 2;
    const nIn = batch * g.h * g.w * g.c;
    const nOut = batch * g.outH * g.outW * g.c;
    const x = wk.arena.alloc(nIn);
    // Few distinct values, so ties are common (the first maximum must win), plus NaN.
    for (let i = 0; i < nIn; i++) x[i] = Math.floor(rng.float() * 4);
    x[5] = Number.NaN;
    x[17] = Number.NaN;
    const yRef = new Float32Array(nOut), argRef = new Int32Array(nOut);
    maxPoolForward(x.slice(), yRef, argRef, batch, g);
    const yW = wk.arena.alloc(nOut), argF = wk.arena.alloc(nOut);
    const argW = new Int32Array(argF.buffer, argF.byteOffset, nOut);
    wk.maxPoolForward(x, yW, argW, batch, g);
    assert.deepEqual(Array.from(argW), Array.from(argRef), `winners, geometry ${gi}`);
    assert.deepEqual(Array.from(yW), Array.from(yRef), `values, geometry ${gi}`);
    const dy = wk.arena.alloc(nOut);
    for (let i = 0; i < nOut; i++) dy[i] = rng.float() - 0.5;
    const dxRef = new Float32Array(nIn).fill(3), dxW = wk.arena.alloc(nIn);
    dxW.fill(3);
    maxPoolBackward(dy.slice(), argRef, dxRef, nOut, nIn);
    wk.maxPoolBackward(dy, argW, dxW, nOut, nIn);
    assert.deepEqual(bits(dxW), bits(dxRef), `backward, geometry ${gi}`);
  }
});

test('wasm relu / leakyRelu forward and gradient equal layers/activations.ts bit for bit', () => {
  const wk = createWasmKernels();
  const rng = new Rng(13);
  for (const n of [1, 5, 8, 37, 1000]) {
    const x = wk.arena.alloc(n);
    const dy = wk.arena.alloc(n);
    for (let i = 0; i < n; i++) {
      x[i] = rng.float() * 2 - 1;
      dy[i] = rng.float() - 0.5;
    }
    const specials = [Number.NaN, -0, 0, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 1e-40, -1e-40];
    specials.forEach((v, i) => {
      if (i < n) x[i] = v;
    });
    if (n > 2) dy[2] = -0;
    for (const name of ['relu', 'leakyRelu'] as const) {
      const yRef = new Float32Array(n), yW = wk.arena.alloc(n);
      activationForward(name, x.slice(), yRef, n, n);
      assert.ok(wk.activationForward(name, x, yW, n), `${name} is handled in wasm`);
      assert.deepEqual(Array.from(yW), Array.from(yRef), `${name} forward, n ${n}`);
      const dRef = new Float32Array(n), dW = wk.arena.alloc(n);
      activationBackward(name, x.slice(), yRef, dy.slice(), dRef, n, n);
      assert.ok(wk.activationBackward(name, x, dy, dW, n));
      assert.deepEqual(Array.from(dW), Array.from(dRef), `${name} backward, n ${n}`);
    }
    assert.equal(wk.activationForward('tanh', x, wk.arena.alloc(n), n), false, 'other activations are left to the reference');
  }
});

test('wasm scaleShift (rescaling) equals kernels/scaleShift.ts bit for bit', () => {
  const wk = createWasmKernels();
  const rng = new Rng(17);
  for (const n of [1, 3, 4, 7, 8, 37, 1000]) {
    const x = wk.arena.alloc(n);
    for (let i = 0; i < n; i++) x[i] = (rng.float() - 0.3) * 300;
    [Number.NaN, -0, 0, Number.NEGATIVE_INFINITY, 1e-40, 3.4e38].forEach((v, i) => {
      if (i < n) x[i] = v;
    });
    for (const [scale, offset] of [[1 / 255, 0], [1 / 127.5, -1], [2.5, 0.1], [-1, -0]] as const) {
      const yRef = new Float32Array(n);
      scaleShiftRange(x.slice(), yRef, n, scale, offset);
      const yW = wk.arena.alloc(n);
      wk.scaleShift(x, yW, n, scale, offset);
      assert.deepEqual(Array.from(yW), Array.from(yRef), `n ${n}, scale ${scale}, offset ${offset}`);
      const yPlain = new Float32Array(n);
      wk.scaleShift(x.slice(), yPlain, n, scale, offset); // not in the arena: the reference runs
      assert.deepEqual(Array.from(yPlain), Array.from(yRef));
    }
  }
});
