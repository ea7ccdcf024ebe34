/**
 * The recurrent-gates kernels: the WebAssembly SIMD module (kernels/wasm/recurrentWat.ts)
 * equals the plain float32 reference (kernels/recurrentGates.ts) bit for bit — sigmoid and
 * tanh on edge values (±0, ±Infinity, NaN, the clamps, subnormals, random bit patterns) and
 * every fused step kernel over unit counts with and without a 4-lane tail — and the
 * reference is accurate (a few float32 ulps of the double-precision functions). The module
 * is up to date with its source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createWasmKernels, wasmRecurrentKernels } from '../../src/engine/kernels/wasm/index.ts';
import { plainRecurrentKernels, sigmoidF32, tanhF32 } from '../../src/engine/kernels/recurrentGates.ts';
import { Rng } from '../../src/engine/index.ts';
import { renderRecurrent } from '../../scripts/build-wasm.ts';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { PLAIN_KERNELS, type MatmulKernelSet } from '../../src/engine/layers/index.ts';
import type { RecurrentKernels } from '../../src/engine/kernels/recurrentGates.ts';

const wk = createWasmKernels();
const rk = wasmRecurrentKernels(wk);

/** Bits, with every NaN the same (payloads may differ between JS and wasm). */
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), (b, i) => (Number.isNaN(a[i]) ? -1 : b));

function inArena(src: Float32Array): Float32Array {
  const x = wk.arena.alloc(src.length);
  x.set(src);
  return x;
}

const EDGES = [
  0, -0, 1, -1, 0.5, -0.5, 0.625, -0.625, 0.62499994, -0.62499994, 43.5, -43.5, 43.50001, 86.99999, 87, -87, 87.00001, -87.00001,
  88.7, -88.7, 89, -89, 100, -100, 1e30, -1e30, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1.4e-45, -1.4e-45,
  1e-40, -1e-40, 1e-7, -1e-7, 9, -9, 17.3, -17.3,
].map(Math.fround);

function values(rng: Rng): Float32Array {
  const n = 4099; // not a multiple of 4: the tail runs too
  const x = new Float32Array(n);
  x.set(EDGES);
  const u = new Uint32Array(x.buffer);
  for (let i = EDGES.length; i < n; i++) {
    if (i % 3 === 0) u[i] = Math.floor(rng.float() * 2 ** 32) >>> 0; // any bit pattern
    else x[i] = (rng.float() - 0.5) * (i % 3 === 1 ? 12 : 200);
  }
  return x;
}

test('wasm sigmoid and tanh equal sigmoidF32 / tanhF32 bit for bit (edges, NaN, ±Infinity, subnormals, random bits)', () => {
  const x = values(new Rng(3));
  for (const [name, ref] of [['sigmoid', sigmoidF32], ['tanh', tanhF32]] as const) {
    for (const len of [x.length, 1, 2, 3, 5, 7]) {
      const src = x.subarray(0, len);
      const w = inArena(src);
      rk[name](w);
      assert.deepEqual(bits(w), bits(src.map(ref)), `${name}, ${len} elements`);
      const outside = src.slice();
      rk[name](outside); // not in the memory: the plain fallback
      assert.deepEqual(bits(outside), bits(w), `${name} fallback`);
      wk.arena.free(w);
    }
  }
});

test('sigmoidF32 / tanhF32: accurate to a few float32 ulps, exact at the edges', () => {
  // float32 spacing at |v| (normal range)
  const ulp = (v: number): number => 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
  const rng = new Rng(5);
  let worstS = 0;
  let worstT = 0;
  for (let i = 0; i < 200000; i++) {
    const x = Math.fround((rng.float() - 0.5) * (i % 2 ? 20 : 170));
    const s = 1 / (1 + Math.exp(-x));
    const t = Math.tanh(x);
    worstS = Math.max(worstS, Math.abs(sigmoidF32(x) - s) / ulp(s));
    if (t !== 0) worstT = Math.max(worstT, Math.abs(tanhF32(x) - t) / ulp(t));
  }
  assert.ok(worstS < 4, `sigmoid: ${worstS} ulps`);
  assert.ok(worstT < 3, `tanh: ${worstT} ulps`);
  for (const x of [1e-3, -1e-3, 1e-20, -1e-20, 0.3, 0.6249]) assert.ok(Math.abs(tanhF32(x) - Math.tanh(x)) <= 2 * ulp(Math.tanh(x)), `tanh(${x}) is accurate near 0`);
  assert.equal(sigmoidF32(Infinity), 1);
  assert.ok(Object.is(sigmoidF32(-Infinity), 0));
  assert.equal(sigmoidF32(0), 0.5);
  assert.equal(sigmoidF32(-0), 0.5);
  assert.equal(sigmoidF32(1e30), 1);
  assert.ok(Object.is(sigmoidF32(-1e30), 0));
  assert.ok(sigmoidF32(-80) > 0 && sigmoidF32(-80) < 1e-34, 'small but not flushed below the clamp');
  assert.equal(tanhF32(Infinity), 1);
  assert.equal(tanhF32(-Infinity), -1);
  assert.equal(tanhF32(40), 1);
  assert.ok(Number.isNaN(sigmoidF32(NaN)) && Number.isNaN(tanhF32(NaN)));
  for (const x of [-50, -5, -1, 0, 1, 5, 50]) {
    assert.ok(sigmoidF32(x) >= 0 && sigmoidF32(x) <= 1);
    assert.ok(Math.abs(tanhF32(x)) <= 1);
  }
});

type Kernel = 'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward' | 'rnnForward' | 'rnnBackward' | 'colSum';

/** Array sizes per kernel (in units of [B·G·u] etc.), in argument order. */
function arrays(kind: Kernel, B: number, u: number): number[] {
  const s = B * u;
  switch (kind) {
    case 'lstmForward': return [4 * s, 4 * s, 4 * u, 4 * u, s, s, s, s];
    case 'lstmBackward': return [4 * s, 4 * s, s, s, s, s, s];
    case 'gruForward': return [3 * s, 3 * s, 3 * u, 3 * u, s, s];
    case 'gruBackward': return [3 * s, 3 * s, 3 * s, 3 * s, s, s, s, s];
    case 'rnnForward': return [s, s, u, u, s];
    case 'rnnBackward': return [s, s, s, s];
    case 'colSum': return [u, s];
  }
}

test('every fused step kernel in wasm equals the plain reference bit for bit (units with and without a tail)', () => {
  const rng = new Rng(11);
  const kinds: Kernel[] = ['lstmForward', 'lstmBackward', 'gruForward', 'gruBackward', 'rnnForward', 'rnnBackward', 'colSum'];
  for (const kind of kinds) {
    for (const [B, u] of [[1, 1], [3, 3], [2, 4], [3, 5], [2, 13], [4, 64], [64, 7]]) {
      const ref = arrays(kind, B, u).map((n, ai) => Float32Array.from({ length: n }, (_, i) => {
        if (i === 1 && ai === 0) return Infinity;
        if (i === 2 && ai === 0) return -Infinity;
        if (i === 3 && ai === 0 && B * u > 8) return NaN;
        // activated gates live in (0, 1) / (-1, 1) for the backward kernels, but any values must agree
        return (rng.float() - 0.5) * (kind.endsWith('Backward') ? 2 : 8);
      }));
      const wasm = ref.map(inArena);
      const outside = ref.map((a) => a.slice());
      const call = (k: typeof plainRecurrentKernels, a: Float32Array[]): void => {
        (k[kind] as (...args: unknown[]) => void)(...a, B, u);
      };
      for (let rep = 0; rep < 2; rep++) { // twice: in/out buffers (c, dc, dhNext, g) feed the second call
        call(plainRecurrentKernels, ref);
        call(rk, wasm);
        call(rk, outside);
      }
      for (let j = 0; j < ref.length; j++) {
        assert.deepEqual(bits(wasm[j]), bits(ref[j]), `${kind} B ${B} u ${u}: array ${j}`);
        assert.deepEqual(bits(outside[j]), bits(ref[j]), `${kind} fallback B ${B} u ${u}: array ${j}`);
      }
      for (const a of wasm) wk.arena.free(a);
    }
  }
});

const LAYERS: Array<[string, object]> = [
  ['lstm', { type: 'lstm', units: 6, returnSequences: true }],
  ['lstm no bias, goBackwards, last step', { type: 'lstm', units: 5, useBias: false, goBackwards: true }],
  ['gru', { type: 'gru', units: 7, returnSequences: true }],
  ['simpleRNN', { type: 'simpleRNN', units: 9 }],
  ['bidirectional lstm', { type: 'bidirectional', layer: { type: 'lstm', units: 4, returnSequences: true } }],
];

/** `rk` with every call's arrays checked to live in `wk`'s memory (so nothing falls back). */
function watched(k: RecurrentKernels, counts: { calls: number; outside: number }): RecurrentKernels {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(k)) {
    out[name] = (...args: unknown[]): void => {
      counts.calls++;
      for (const a of args) if (a instanceof Float32Array && !wk.arena.owns(a)) counts.outside++;
      (fn as (...xs: unknown[]) => void)(...args);
    };
  }
  return out as unknown as RecurrentKernels;
}

test('recurrent layers on the wasm gate kernels equal the plain ones bit for bit, with every step buffer in the wasm memory', () => {
  const rng = new Rng(2);
  for (const [name, layer] of LAYERS) {
    const spec = { inputShape: [21, 3], layers: [layer] };
    const counts = { calls: 0, outside: 0 };
    // Same (plain) matmuls in both; only where the buffers live and which gate kernels run differ.
    const fast: MatmulKernelSet = { ...PLAIN_KERNELS, allocate: (n) => wk.arena.alloc(n), release: (x) => wk.arena.free(x), recurrent: watched(rk, counts) };
    const models = [Sequential.fromSpec(spec, { seed: 4, kernels: PLAIN_KERNELS }), Sequential.fromSpec(spec, { seed: 4, kernels: fast })];
    const batch = 5;
    const x = Float32Array.from({ length: batch * 21 * 3 }, () => (rng.float() - 0.5) * 3);
    const results = models.map((m) => {
      const l = m.layers[0];
      const y = l.forward(x, batch, { training: true, rng: m.trainRng }).slice();
      const dy = Float32Array.from({ length: y.length }, (_, i) => Math.sin(i));
      const dx = (l.backward(dy, batch, true) as Float32Array).slice();
      return [y, dx, ...m.params.map((p) => p.grad.slice())];
    });
    for (let j = 0; j < results[0].length; j++) assert.deepEqual(bits(results[1][j]), bits(results[0][j]), `${name}: output ${j}`);
    assert.ok(counts.calls > 21, `${name}: the fused kernels ran (${counts.calls} calls)`);
    assert.equal(counts.outside, 0, `${name}: every array passed to the gate kernels is in the wasm memory`);
    models[1].dispose();
  }
});

test('wasm build: recurrentModule.generated.ts is up to date with recurrentWat.ts', async () => {
  const committed = readFileSync(new URL('../../src/engine/kernels/wasm/recurrentModule.generated.ts', import.meta.url), 'utf8');
  const first = await renderRecurrent();
  assert.equal(first, await renderRecurrent(), 'the build is deterministic');
  assert.ok(first === committed, 'run: node --import tsx scripts/build-wasm.ts');
});
