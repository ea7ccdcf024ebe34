/**
 * The unit split's seam (engine/model/unitSplit.ts), run by one thread shard after shard: the
 * shards' parts and the tail give the loss, the output and every parameter gradient of the
 * model's own whole-batch computeGradients (up to the rounding of the logits summed in parts),
 * with the wasm kernels and the plain TypeScript ones; which models it accepts; the unit ranges.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PLAIN_KERNELS, Rng, Sequential, UnitShard, UnitSplitTail, unitRange, unitSplitLayout, type MatmulKernelSet,
} from '../../src/engine/index.ts';

const B = 24;
const rng = new Rng(3);
const x = new Float32Array(B * 30).map(() => rng.normal());
const labels = new Float32Array(B).map(() => rng.int(6));
const weights = new Float32Array(B).map(() => 0.5 + rng.float());

function model(spec: unknown, kernels?: MatmulKernelSet, loss = 'sparseCategoricalCrossentropy'): Sequential {
  const m = Sequential.fromSpec(spec, { seed: 9, ...(kernels ? { kernels } : {}) });
  m.compile({ optimizer: 'sgd', loss });
  return m;
}

const MLP = { inputShape: [30], layers: [{ type: 'dense', units: 48, activation: 'relu' }, { type: 'dense', units: 6, activation: 'softmax' }] };
const PREFIXED = {
  inputShape: [5, 6],
  layers: [{ type: 'rescaling', scale: 2 }, { type: 'flatten' }, { type: 'dense', units: 40, activation: 'tanh' }, { type: 'dense', units: 6, activation: 'linear', useBias: false }],
};

/** The whole-batch gradients and loss, then the same from `threads` shards and the tail, one after another. */
function compare(spec: unknown, threads: number, kernels: MatmulKernelSet | undefined, loss: string, y: Float32Array): void {
  const m = model(spec, kernels, loss);
  const lossWhole = m.computeGradients(x, y, B, weights);
  const whole = Float32Array.from(m.storage.grads);
  const outWhole = Float32Array.from(m.lastOutput.subarray(0, B * 6));
  m.storage.grads.fill(NaN); // every element must be written again
  const layout = unitSplitLayout(m.layers, threads);
  assert.ok(layout, 'the layout');
  const memory = { allocate: (n: number) => m.allocateScratch(n) };
  const shards = Array.from({ length: threads }, (_, t) => new UnitShard(m.layers, layout, m.kernelSet, memory, t, threads));
  const parts = shards.map(() => m.allocateScratch(B * 6));
  shards.forEach((s, t) => s.forward(x, B, { training: true, rng: m.trainRng }, parts[t]));
  const { loss: l, output, dz2 } = new UnitSplitTail(m.layers, layout, m.kernelSet, memory, m.lossHead as NonNullable<Sequential['lossHead']>).run(parts, y, B, weights);
  for (const s of shards) s.backward(dz2);
  assert.ok(Math.abs(l - lossWhole) < 1e-6, `loss ${l} vs ${lossWhole}`);
  for (let i = 0; i < outWhole.length; i++) assert.ok(Math.abs(output[i] - outWhole[i]) < 1e-6, `output ${i}`);
  const g = m.storage.grads;
  for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(g[i] - whole[i]) < 1e-6 * (1 + Math.abs(whole[i])), `gradient ${i}: ${g[i]} vs ${whole[i]}`);
  // Every parameter element is in exactly one shard's ranges.
  const base = m.storage.values.byteOffset;
  const owner = new Int32Array(m.paramCount);
  for (const s of shards) for (const [a, b] of s.ranges((p) => (p.byteOffset - base) / 4)) for (let i = a; i < b; i++) owner[i]++;
  assert.ok(owner.every((c) => c === 1), 'each parameter element has one owner');
}

for (const [name, kernels] of [['wasm', undefined], ['plain', PLAIN_KERNELS]] as const) {
  test(`${name} kernels: 2 and 3 shards give the whole batch's loss, output and gradients (softmax with cross-entropy, class weights)`, () => {
    for (const threads of [1, 2, 3]) compare(MLP, threads, kernels, 'sparseCategoricalCrossentropy', labels);
  });

  test(`${name} kernels: parameter-free layers first, tanh, a linear output without bias, mean squared error`, () => {
    const y = new Float32Array(B * 6).map(() => rng.normal());
    for (const threads of [1, 2]) compare(PREFIXED, threads, kernels, 'meanSquaredError', y);
  });
}

test('unitSplitLayout: a one-hidden-layer MLP only, without regularizers, 16 hidden units per thread at least', () => {
  assert.deepEqual(unitSplitLayout(model(MLP).layers, 3), { prefix: 0, inSize: 30, units: 48, outSize: 6 });
  assert.equal(unitSplitLayout(model(PREFIXED).layers, 2)?.prefix, 2);
  assert.equal(unitSplitLayout(model(MLP).layers, 4), null, '48 units over 4 threads');
  const variants = [
    { ...MLP, layers: [MLP.layers[0], { type: 'dense', units: 8 }, MLP.layers[1]] },
    { ...MLP, layers: [MLP.layers[0], { type: 'dropout', rate: 0.5 }, MLP.layers[1]] },
    { ...MLP, layers: [{ ...MLP.layers[0], activation: 'softmax' }, MLP.layers[1]] },
    { ...MLP, layers: [MLP.layers[0], { ...MLP.layers[1], biasRegularizer: 'l2' }] },
    { inputShape: [30], layers: [{ type: 'dropout', rate: 0.1 }, ...MLP.layers] },
    { inputShape: [30], layers: [MLP.layers[1]] },
  ];
  for (const v of variants) assert.equal(unitSplitLayout(model(v).layers, 2), null, JSON.stringify(v.layers));
});

test('unitRange: contiguous ranges on 16-unit boundaries covering every unit', () => {
  for (const [units, threads] of [[128, 2], [128, 3], [48, 3], [100, 2], [64, 4]]) {
    let end = 0;
    for (let t = 0; t < threads; t++) {
      const [a, b] = unitRange(units, t, threads);
      assert.equal(a, end);
      assert.ok(b > a, `${units}/${threads}: thread ${t} has units`);
      if (t < threads - 1) assert.equal(b % 16, 0);
      end = b;
    }
    assert.equal(end, units);
  }
});
