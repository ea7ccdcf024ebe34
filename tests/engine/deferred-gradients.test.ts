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
import type { DeferredSlice, UnitsFirst } from '../../src/engine/index.ts';
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

/**
 * computeGradients in deferred row slices [0, cuts[0]), [cuts[0], cuts[1]), ... then the
 * weight gradients in unit parts by `fractions`. With `unitCuts`, phase A by units first:
 * the first layer's units in those parts (forwardUnits, as each thread does), then the row
 * slices from there (slice.units).
 */
function deferredGradients(m: Sequential, cuts: number[], fractions: number[], weights: Float32Array | null, unitCuts?: number[]): number {
  const layout = m.deferredLayout;
  assert.ok(layout, 'the model can defer its weight gradients');
  const dz: (Float32Array | null)[] = m.layers.map(() => null);
  const xs: (Float32Array | null)[] = m.layers.map(() => null);
  for (const l of layout) {
    dz[l.index] = m.allocateScratch(batch * l.units);
    if (!l.readsModelInput) xs[l.index] = m.allocateScratch(batch * l.inSize);
  }
  const rowLosses = new Float64Array(batch);
  let units: UnitsFirst | undefined;
  if (unitCuts) {
    const first = layout[0];
    // As the trainer lays them out: in the model's memory (wasm: the strided product writes in
    // place), the output being the next layer's stage input when that layer follows at once.
    const z = m.allocateScratch(batch * first.units).fill(Number.NaN);
    const next = layout[1];
    const a = next?.index === first.index + 1 ? xs[next.index] as Float32Array : m.allocateScratch(batch * first.units);
    const parts = [0, ...unitCuts, first.units];
    for (let p = 0; p + 1 < parts.length; p++) m.forwardUnits(x, batch, true, { index: first.index, j0: parts[p], j1: parts[p + 1], z, a });
    units = { index: first.index, j0: 0, j1: 0, z, a };
  }
  const bounds = [0, ...cuts, batch];
  for (let s = 0; s + 1 < bounds.length; s++) {
    const [r0, r1] = [bounds[s], bounds[s + 1]];
    const slice: DeferredSlice = { row0: r0, dz, x: xs, rowLosses };
    m.computeGradients(x.subarray(r0 * inSize, r1 * inSize), y.subarray(r0, r1), r1 - r0, weights?.subarray(r0, r1) ?? null, true, { batch, regularize: false, deferred: slice, ...(units ? { units } : {}) });
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

for (const kernels of ['wasm', 'plain', 'minimal'] as const) {
  test(`phase A by units: the first layer's units in any parts, then rows in slices, give the whole batch's gradients and loss bit for bit (${kernels} kernels)`, () => {
    const whole = build(kernels);
    const expectedLoss = whole.computeGradients(x, y, batch, w);
    const expected = Array.from(whole.storage.grads);
    for (const [unitCuts, cuts, fractions] of [[[16], [150], [0.5]], [[5, 24], [5, 213], [0.3, 0.61]], [[], [1], [0.05]], [[32], [], []]] as const) {
      const m = build(kernels);
      const loss = deferredGradients(m, [...cuts], [...fractions], w, [...unitCuts]);
      assert.deepEqual(Array.from(m.storage.grads), expected, `units cut at ${unitCuts.join(',')}, rows at ${cuts.join(',')}`);
      assert.equal(loss, expectedLoss);
    }
  });
}

test('phase A by units with a rescaling first and other activations (tanh, sigmoid, linear, softmax on the first dense layer): the whole batch\'s gradients', () => {
  for (const activation of ['tanh', 'sigmoid', 'linear', 'softmax']) {
    const spec = {
      inputShape: [inSize],
      layers: [{ type: 'rescaling', scale: 0.5, offset: 0.1 }, { type: 'dense', units: 24, activation }, { type: 'dense', units: 6, activation: 'softmax' }],
    };
    const whole = build('wasm', spec);
    const expectedLoss = whole.computeGradients(x, y, batch, null);
    const m = build('wasm', spec);
    const loss = deferredGradients(m, [100], [0.5], null, [8]);
    assert.deepEqual(Array.from(m.storage.grads), Array.from(whole.storage.grads), activation);
    assert.equal(loss, expectedLoss, activation);
  }
});

test('forwardUnits computes the units from `split` on only after awaitSplit (a split at the first unit waits before any), and none without a split', () => {
  const m = build('wasm');
  const first = (m.deferredLayout ?? [])[0];
  for (const [j0, j1, split, waits] of [[0, 24, 8, true], [0, 24, 0, true], [8, 24, 4, true], [0, 24, 24, false], [0, 24, 30, false], [0, 24, undefined, false]] as const) {
    const z = new Float32Array(batch * first.units).fill(Number.NaN);
    let waited = false;
    const awaitSplit = (): void => {
      waited = true;
      const own = Math.max(j0, Math.min(split ?? j1, j1));
      for (let j = j0; j < j1; j++) assert.equal(Number.isNaN(z[5 * first.units + j]), j >= own, `split ${split}: unit ${j} ${j >= own ? 'not yet' : 'already'} computed when it waits`);
    };
    m.forwardUnits(x, batch, true, { index: first.index, j0, j1, z, a: z, ...(split === undefined ? {} : { split }), awaitSplit });
    assert.equal(waited, waits, `units ${j0}-${j1}, split ${split}`);
    for (let j = 0; j < first.units; j++) assert.equal(Number.isNaN(z[5 * first.units + j]), j < j0 || j >= j1, `unit ${j} written only inside [${j0}, ${j1})`);
  }
});

test('computeGradients refuses slice.units without a deferred slice, and before forwardUnits', () => {
  const m = build('wasm');
  const z = new Float32Array(2 * 33);
  const units = { index: 1, j0: 0, j1: 0, z, a: z };
  assert.throws(() => m.computeGradients(x.subarray(0, 2 * inSize), y.subarray(0, 2), 2, null, true, { batch: 2, regularize: true, units }), /slice.units needs slice.deferred/);
  const layout = m.deferredLayout ?? [];
  const slice: DeferredSlice = { row0: 0, dz: m.layers.map((_, i) => layout.some((l) => l.index === i) ? new Float32Array(2 * 40) : null), x: m.layers.map(() => new Float32Array(2 * 40)), rowLosses: new Float64Array(2) };
  assert.throws(() => m.computeGradients(x.subarray(0, 2 * inSize), y.subarray(0, 2), 2, null, true, { batch: 2, regularize: true, deferred: slice, units }), /forwardUnits first/);
  assert.throws(() => m.forwardUnits(x, 2, true, { index: 2, j0: 0, j1: 1, z, a: z }), /cannot split its units/);
});

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
