/**
 * The first layer split by units (src/engine/model/shardedFirstLayer.ts): each "thread" (a
 * replica on the same weights) computes its units of the first dense layer for the whole
 * batch, one runs the tail with its weight gradients, and each computes its units' gradients
 * from dL/dh. Whatever the split, that gives exactly (bit for bit) the gradients and loss of
 * one computeGradients on the whole batch, which is what lets data-parallel training split
 * the units by measured speed and still match one thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Sequential } from '../../src/engine/index.ts';
import { plainKernels } from '../../src/engine/kernels/wasm/index.ts';
import { PLAIN_KERNELS } from '../../src/engine/layers/index.ts';

// 300 rows: more than the GEMM's 256-row block (a regulariser's gradient must come before
// the first block's product, as in the whole-batch backward).
const batch = 300;
const inSize = 20;
const rng = new Rng(4);
const x = new Float32Array(batch * inSize).map(() => rng.normal());
const y = new Float32Array(batch).map(() => rng.int(6));
const w = new Float32Array(batch).map(() => 0.5 + rng.float());

const SPEC = {
  inputShape: [4, 5],
  layers: [
    { type: 'flatten' },
    { type: 'dense', units: 37, activation: 'relu', kernelRegularizer: { type: 'l2', l2: 0.01 }, biasRegularizer: { type: 'l1', l1: 0.002 } },
    { type: 'activation', activation: 'tanh' },
    { type: 'dense', units: 17, activation: 'gelu', kernelRegularizer: { type: 'l1l2', l1: 0.003, l2: 0.02 } },
    { type: 'dense', units: 6, activation: 'softmax' },
  ],
};
/** The first layer without regularisers, with another activation, no bias. */
const SPEC_PLAIN_FIRST = { ...SPEC, layers: [SPEC.layers[0], { type: 'dense', units: 37, activation: 'tanh', useBias: false }, ...SPEC.layers.slice(2)] };

type KernelChoice = 'wasm' | 'plain' | 'minimal';
const KERNELS = { wasm: undefined, plain: plainKernels, minimal: PLAIN_KERNELS };

function build(kernels: KernelChoice, spec: unknown, storage?: Sequential['storage']): Sequential {
  const chosen = KERNELS[kernels];
  const m = Sequential.fromSpec(spec, { seed: 11, ...(chosen ? { kernels: chosen } : {}), ...(storage ? { storage } : {}) });
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  if (!storage) {
    // Non-zero biases, so a bias regulariser's gradient is not zero.
    const r = new Rng(5);
    for (const p of m.params) if (p.shape.length === 1) p.value.forEach((_, i) => { p.value[i] = r.normal() * 0.1; });
  }
  return m;
}

/** The split protocol over replicas on `m`'s weights, units cut at `fractions`; `tailOn` is the replica that runs the tail with gradients. */
function shardedGradients(kernels: KernelChoice, spec: unknown, m: Sequential, fractions: number[], weights: Float32Array | null, tailOn = 0): number {
  const layout = m.shardedLayout;
  assert.ok(layout, 'the model can split its first layer');
  const cuts = [0, ...fractions.map((f) => Math.round(f * layout.units)), layout.units];
  const replicas = cuts.slice(1).map((_, k) => (k === 0 ? m : build(kernels, spec, m.storage)));
  m.storage.grads.fill(1e30); // stale values must not leak: every element is written
  const h = new Float32Array(batch * layout.units);
  replicas.forEach((r, k) => r.forwardUnits(x, batch, cuts[k], cuts[k + 1], h));
  let loss = NaN;
  let dh: Float32Array | undefined;
  replicas.forEach((r, k) => {
    const t = r.computeTail(h, y, batch, weights, k === tailOn);
    if (k === tailOn) loss = t.loss;
    if (dh) assert.deepEqual(Array.from(t.dh ?? []), Array.from(dh), 'every replica gets the same dL/dh');
    dh = t.dh && Float32Array.from(t.dh);
  });
  replicas.forEach((r, k) => r.shardWeightGrads(dh as Float32Array, batch, cuts[k], cuts[k + 1]));
  return loss;
}

for (const kernels of ['wasm', 'plain', 'minimal'] as const) {
  for (const [name, spec] of [['regularised relu first layer', SPEC], ['tanh first layer without bias', SPEC_PLAIN_FIRST]] as const) {
    for (const weighted of [false, true]) {
      test(`unit splits give the whole batch's gradients and loss bit for bit (${kernels} kernels, ${name}${weighted ? ', sample weights' : ''})`, () => {
        const whole = build(kernels, spec);
        const weights = weighted ? w : null;
        const expectedLoss = whole.computeGradients(x, y, batch, weights);
        const expected = Array.from(whole.storage.grads);
        for (const [fractions, tailOn] of [[[0.5], 0], [[0.3, 0.61], 2], [[0.03], 1], [[0.97], 0], [[], 0]] as const) {
          const m = build(kernels, spec);
          const loss = shardedGradients(kernels, spec, m, [...fractions], weights, tailOn);
          assert.deepEqual(Array.from(m.storage.grads), expected, `units cut at ${fractions.join(',')}`);
          assert.equal(loss, expectedLoss, 'the loss, the penalty included');
        }
      });
    }
  }
}

test('the first dense layer with a buffered, random or unsplittable neighbour has no sharded layout', () => {
  const base = { inputShape: [8] };
  const none = (layers: unknown[]) => assert.equal(build('wasm', { ...base, layers }).shardedLayout, null, JSON.stringify(layers));
  none([{ type: 'dense', units: 4 }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3, activation: 'softmax' }]);
  none([{ type: 'dense', units: 4 }, { type: 'batchNormalization' }, { type: 'dense', units: 3, activation: 'softmax' }]);
  none([{ type: 'rescaling', scale: 0.5 }, { type: 'dense', units: 4 }, { type: 'dense', units: 3, activation: 'softmax' }]);
  none([{ type: 'dense', units: 3, activation: 'softmax' }]);
  none([{ type: 'dense', units: 3, activation: 'softmax' }, { type: 'dense', units: 3 }]);
  assert.equal(build('wasm', { inputShape: [5, 2], layers: [{ type: 'lstm', units: 4 }, { type: 'dense', units: 3, activation: 'softmax' }] }).shardedLayout, null);
  const layout = build('wasm', SPEC).shardedLayout;
  assert.ok(layout);
  assert.deepEqual([layout.index, layout.units, layout.inSize, layout.tailStart], [1, 37, 20, 37 * 20 + 37]);
  assert.deepEqual(layout.params, [{ offset: 0, perUnit: 20 }, { offset: 740, perUnit: 1 }]);
  assert.equal(layout.firstFlops, 2 * 20 * 37 + 37 + 37);
});

test('forwardUnits refuses a model without a sharded layout', () => {
  const m = build('wasm', { inputShape: [8], layers: [{ type: 'dense', units: 4 }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3, activation: 'softmax' }] });
  assert.throws(() => m.forwardUnits(new Float32Array(16), 2, 0, 4, new Float32Array(8)), /cannot split its first layer/);
});
