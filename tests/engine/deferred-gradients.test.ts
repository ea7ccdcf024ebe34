/**
 * Deferred weight gradients (src/engine/model/deferredGradients.ts): a batch split into row
 * slices for the forward and the backward to the inputs, then into unit ranges for the weight
 * gradients, gives exactly (bit for bit) the gradients and the loss of one computeGradients on
 * the whole batch, whatever the splits. That is what lets data-parallel training choose its
 * splits by measured speed and stay reproducible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Sequential } from '../../src/engine/index.ts';
import type { DeferredSlice } from '../../src/engine/index.ts';
import { plainKernels } from '../../src/engine/kernels/wasm/index.ts';
import { PLAIN_KERNELS } from '../../src/engine/layers/index.ts';

// 300 rows: more than the GEMM's 256-row block, so a regulariser's gradient must be added
// before the first block's product, as the whole-batch backward does.
const batch = 300;
const inShape = [4, 5];
const inSize = 20;
const rng = new Rng(3);
const x = new Float32Array(batch * inSize).map(() => rng.normal());
const y = new Float32Array(batch).map(() => rng.int(6));
const w = new Float32Array(batch).map(() => 0.5 + rng.float());

const SPEC = {
  inputShape: inShape,
  layers: [
    { type: 'flatten' },
    { type: 'dense', units: 33, activation: 'relu', kernelRegularizer: { type: 'l2', l2: 0.01 } },
    { type: 'activation', activation: 'tanh' },
    { type: 'dense', units: 17, activation: 'gelu', biasRegularizer: { type: 'l1l2', l1: 0.003, l2: 0.02 } },
    { type: 'dense', units: 6, activation: 'softmax' },
  ],
};

/** wasm: the default kernels; plain: the TypeScript reference set; minimal: only the three products (no accumulating one, no addInto). */
type KernelChoice = 'wasm' | 'plain' | 'minimal';
const KERNELS = { wasm: undefined, plain: plainKernels, minimal: PLAIN_KERNELS };

function build(kernels: KernelChoice, spec: unknown = SPEC): Sequential {
  const chosen = KERNELS[kernels];
  const m = Sequential.fromSpec(spec, { seed: 11, ...(chosen ? { kernels: chosen } : {}) });
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  // Non-zero biases, so a bias regulariser's gradient is not zero.
  const r = new Rng(5);
  for (const p of m.params) if (p.shape.length === 1) p.value.forEach((_, i) => { p.value[i] = r.normal() * 0.1; });
  return m;
}

/** computeGradients in deferred row slices [0, cuts[0]), [cuts[0], cuts[1]), ... then the weight gradients in unit parts by `fractions`. */
function deferredGradients(m: Sequential, cuts: number[], fractions: number[], weights: Float32Array | null): number {
  const layout = m.deferredLayout;
  assert.ok(layout, 'the model can defer its weight gradients');
  const dz: (Float32Array | null)[] = m.layers.map(() => null);
  const xs: (Float32Array | null)[] = m.layers.map(() => null);
  for (const l of layout) {
    dz[l.index] = new Float32Array(batch * l.units);
    if (!l.readsModelInput) xs[l.index] = new Float32Array(batch * l.inSize);
  }
  const rowLosses = new Float64Array(batch);
  const bounds = [0, ...cuts, batch];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const [r0, r1] = [bounds[s], bounds[s + 1]];
    const slice: DeferredSlice = { row0: r0, dz, x: xs, rowLosses };
    m.computeGradients(x.subarray(r0 * inSize, r1 * inSize), y.subarray(r0, r1), r1 - r0, weights?.subarray(r0, r1) ?? null, true, { batch, regularize: false, deferred: slice });
  }
  m.storage.grads.fill(1e30); // stale values must not leak: every element is written
  for (const l of layout) {
    const parts = [0, ...fractions.map((f) => Math.round(f * l.units)), l.units];
    for (let p = 0; p + 1 < parts.length; p++) {
      m.deferredWeightGrads(l, dz[l.index] as Float32Array, xs[l.index] ?? x, batch, parts[p], parts[p + 1]);
    }
  }
  // As ParallelTrainer: the row terms in row order, the penalty once.
  let sum = 0;
  for (const v of rowLosses) sum += v;
  return sum / batch + m.regularizationPenalty(false);
}

test('with the plain kernels too, an unregularised model\'s deferred gradients are the whole batch\'s', () => {
  const spec = { ...SPEC, layers: SPEC.layers.map(({ kernelRegularizer: _k, biasRegularizer: _b, ...l }: Record<string, unknown>) => l) };
  const whole = build('plain', spec);
  whole.computeGradients(x, y, batch);
  const m = build('plain', spec);
  deferredGradients(m, [7], [0.4], null);
  assert.deepEqual(Array.from(m.storage.grads), Array.from(whole.storage.grads));
});

for (const kernels of ['wasm', 'plain', 'minimal'] as const) {
  for (const weighted of [false, true]) {
    test(`row and unit splits give the whole batch's gradients bit for bit (${kernels} kernels${weighted ? ', sample weights' : ''})`, () => {
      const whole = build(kernels);
      const weights = weighted ? w : null;
      const expectedLoss = whole.computeGradients(x, y, batch, weights);
      const expected = Array.from(whole.storage.grads);
      for (const [cuts, fractions] of [[[150], [0.5]], [[5, 213], [0.3, 0.61]], [[1], [0.05]], [[299], [0.97]], [[], []]] as const) {
        const m = build(kernels);
        const loss = deferredGradients(m, [...cuts], [...fractions], weights);
        assert.deepEqual(Array.from(m.storage.grads), expected, `rows cut at ${cuts.join(',')}, units at ${fractions.join(',')}`);
        assert.equal(loss, expectedLoss, 'the loss: the same row terms summed in order, the same penalty');
      }
    });
  }
}

test('a model with dropout, batchNormalization or a recurrent layer has no deferred layout', () => {
  const base = { inputShape: [8] };
  assert.equal(build('wasm', { ...base, layers: [{ type: 'dense', units: 4 }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3, activation: 'softmax' }] }).deferredLayout, null);
  assert.equal(build('wasm', { ...base, layers: [{ type: 'dense', units: 4 }, { type: 'batchNormalization' }, { type: 'dense', units: 3, activation: 'softmax' }] }).deferredLayout, null);
  assert.equal(build('wasm', { inputShape: [5, 2], layers: [{ type: 'lstm', units: 4 }, { type: 'dense', units: 3, activation: 'softmax' }] }).deferredLayout, null);
  const layout = build('wasm').deferredLayout;
  assert.deepEqual(layout?.map((l) => [l.index, l.units, l.inSize, l.readsModelInput]), [[1, 33, 20, true], [3, 17, 33, false], [4, 6, 17, false]]);
});

test('computeGradients refuses a deferred slice on a model that cannot defer', () => {
  const m = build('wasm', { inputShape: [8], layers: [{ type: 'dense', units: 4 }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3, activation: 'softmax' }] });
  const slice: DeferredSlice = { row0: 0, dz: [], x: [], rowLosses: new Float64Array(2) };
  assert.throws(() => m.computeGradients(new Float32Array(16), new Float32Array(2), 2, null, true, { batch: 2, regularize: true, deferred: slice }), /cannot defer/);
});
