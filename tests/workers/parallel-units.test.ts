/**
 * The deferred protocol's phase A by the first dense layer's units (ParallelTrainer
 * `deferredSplit: 'units'`), and the adaptive split that switches between it and the row
 * split as it trains (the default): the 1-thread weights, losses and metrics bit for bit on 2
 * and 3 threads, however often the split changes; a slow helper; a helper that fails or dies
 * in the middle of the two parts of phase A.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Sequential } from '../../src/engine/index.ts';
import { ParallelTrainer, ParallelTrainingError, fitParallel } from '../../src/workers/parallel/index.ts';

const D = 20;
const N = 20 * 32;
const rng = new Rng(17);
const x = new Float32Array(N * D).map(() => rng.normal());
const y = new Float32Array(N).map(() => rng.int(5));
const ADAM = { type: 'adam', learningRate: 0.01 };
/** The adaptive split trying the other one every few steps and always taking it: a change of split nearly every other step. */
const SWITCH_OFTEN = { exploreEvery: 3, firstTry: 2, probe: 2, warm: 0, margin: -1 };

function spec(activation = 'relu', extra: Record<string, unknown>[] = []): unknown {
  return {
    inputShape: [D],
    layers: [...extra, { type: 'dense', units: 48, activation }, { type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 5, activation: 'softmax' }],
  };
}

function model(s: unknown): Sequential {
  const m = Sequential.fromSpec(s, { seed: 21 });
  m.compile({ optimizer: ADAM, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

test('phase A by units and the adaptive split give the 1-thread losses, weights and metrics on 2 and 3 threads (relu, tanh, sigmoid; a rescaling first; regularisers)', async () => {
  const cases: [string, unknown][] = [
    ['relu', spec()],
    ['flatten first, an activation layer after the first dense one, a linear first layer', {
      inputShape: [4, 5],
      layers: [{ type: 'flatten' }, { type: 'dense', units: 48, activation: 'linear' }, { type: 'activation', activation: 'tanh' }, { type: 'dense', units: 5, activation: 'softmax' }],
    }],
    ['tanh, rescaling first', spec('tanh', [{ type: 'rescaling', scale: 0.5, offset: 0.1 }])],
    ['sigmoid', spec('sigmoid')],
    ['regularisers', { inputShape: [D], layers: [{ type: 'dense', units: 32, activation: 'relu', kernelRegularizer: 'l2', biasRegularizer: { type: 'l1l2', l1: 0.001, l2: 0.01 } }, { type: 'dense', units: 5, activation: 'softmax', kernelRegularizer: { type: 'l1', l1: 0.001 } }] }],
  ];
  for (const [name, s] of cases) {
    const xs = { data: x, shape: [N, ...(s as { inputShape: number[] }).inputShape] };
    const one = model(s);
    const h1 = await one.fit(xs, { data: y, shape: [N] }, { batchSize: 32, epochs: 2, shuffle: true });
    for (const threads of [2, 3]) {
      for (const split of ['units', 'adaptive'] as const) {
        const m = model(s);
        const t = await ParallelTrainer.create(m, { threads, batchSize: 32, deferredSplit: split, splitChooser: SWITCH_OFTEN });
        try {
          const h = await m.fit(xs, { data: y, shape: [N] }, { batchSize: 32, epochs: 2, shuffle: true, gradients: t });
          assert.deepEqual(h.history, h1.history, `${name}, ${threads} threads, ${split}: the losses and metrics`);
          assert.ok(t.splitSteps.units > 0, `${name}, ${threads} threads, ${split}: phase A ran by units`);
          if (split === 'adaptive') assert.ok(t.splitSteps.rows > 0 && t.splitSteps.units > 0, `both splits ran (${JSON.stringify(t.splitSteps)})`);
          else assert.equal(t.splitSteps.rows, 0);
        } finally {
          await t.close();
        }
        assert.deepEqual(m.getWeights(), one.getWeights(), `${name}, ${threads} threads, ${split}: the weights`);
      }
    }
  }
});

test('phase A by units: batches of 1 to 4 rows and a short last batch, and a split by rows only, give the 1-thread result', async () => {
  const n = 37;
  const xs = { data: x.subarray(0, n * D), shape: [n, D] };
  const ys = { data: y.subarray(0, n), shape: [n] };
  for (const batchSize of [1, 2, 4, 16]) {
    const one = model(spec());
    const h1 = await one.fit(xs, ys, { batchSize, epochs: 2 });
    for (const split of ['units', 'rows'] as const) {
      const m = model(spec());
      const h = await fitParallel(m, xs, ys, { threads: 2, batchSize, epochs: 2, deferredSplit: split });
      assert.deepEqual(h.history, h1.history, `batch ${batchSize}, ${split}`);
      assert.deepEqual(m.getWeights(), one.getWeights(), `batch ${batchSize}, ${split}: the weights`);
    }
  }
  const m = model(spec());
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 8, deferredSplit: 'rows' });
  await m.fit(xs, ys, { batchSize: 8, gradients: t });
  assert.deepEqual(t.splitSteps, { rows: 5, units: 0 });
  await t.close();
});

/** One shuffled epoch by units with helper 1 slowed by `fault`; `check` sees the trainer after it; the weights must be the 1-thread ones. */
async function fitSlowHelper(fault: { kind: 'slow' | 'slowCompute'; ms: number }, check: (t: ParallelTrainer) => void): Promise<void> {
  const one = model(spec());
  await one.fit({ data: x, shape: [N, D] }, { data: y, shape: [N] }, { batchSize: 32, shuffle: true });
  const m = model(spec());
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, fault, deferredSplit: 'units' });
  try {
    await m.fit({ data: x, shape: [N, D] }, { data: y, shape: [N] }, { batchSize: 32, gradients: t, shuffle: true });
    check(t);
  } finally {
    await t.close();
  }
  assert.deepEqual(m.getWeights(), one.getWeights());
}

test('phase A by units: a slower helper gets fewer of the first layer\'s units, and the results stay the 1-thread ones', async () => {
  // The helper sleeps 2 ms before each command; fit alternates its input buffers (the helper's
  // phase B still reads the last batch while fit gathers the next).
  await fitSlowHelper({ kind: 'slow', ms: 2 }, (t) => {
    const [, helperFirst, units] = t.firstLayerUnits ?? [];
    assert.equal(units, 48);
    assert.ok(helperFirst >= 32, `the main thread takes most of the first layer's units (${helperFirst} of 48)`);
  });
});

test('phase A by units: the calling thread takes over first-layer units from a helper whose forward is slow, waiting for its update first, and the results stay the 1-thread ones', async () => {
  // The helper sleeps 2 ms before each phase A (not its update): its forward share shrinks
  // below its share of the update, so the calling thread's forward computes units the helper
  // may still be updating, after waiting for it.
  await fitSlowHelper({ kind: 'slowCompute', ms: 2 }, (t) => {
    assert.ok(t.splitWaits >= 5, `the calling thread waited for units it took over in ${t.splitWaits} of 20 steps`);
  });
});

test('phase A by units: an error in the calling thread\'s own units still lets the helper finish the step, and fit rejects without a hang', async () => {
  const m = model(spec());
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, deferredSplit: 'units' });
  const dense = m.layers[0] as unknown as { forwardUnits: (...a: unknown[]) => void };
  const original = dense.forwardUnits.bind(dense);
  let calls = 0;
  dense.forwardUnits = (...a: unknown[]) => {
    if (++calls === 3) throw new Error('injected failure in the calling thread\'s units');
    original(...a);
  };
  try {
    await assert.rejects(m.fit({ data: x, shape: [N, D] }, { data: y, shape: [N] }, { batchSize: 32, gradients: t }), /injected failure in the calling thread's units/);
  } finally {
    await t.close();
  }
});

test('the split chooser\'s options and deferredSplit are checked', async () => {
  await assert.rejects(ParallelTrainer.create(model(spec()), { threads: 2, batchSize: 32, deferredSplit: 'columns' as 'rows' }), /deferredSplit must be 'adaptive', 'rows' or 'units', got "columns"/);
  for (const [bad, message] of [[{ probe: 4, warm: 4 }, /warm \(4\) must be below splitChooser.probe \(4\)/], [{ exploreEvery: 0 }, /exploreEvery must be a positive integer/], [{ margin: 2 }, /margin must be a number below 1/]] as const) {
    await assert.rejects(ParallelTrainer.create(model(spec()), { threads: 2, batchSize: 32, splitChooser: bad }), message);
  }
  const t = await ParallelTrainer.create(model(spec()), { threads: 2, batchSize: 32, splitChooser: { probe: undefined } });
  await t.close();
});

test('phase A by units: a helper that fails in it fails that step (not applied) without a hang, and the next steps train on', async () => {
  const m = model(spec());
  // Commands: compute (batch 1), step, compute (batch 2: fails), ...
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, fault: { atCommand: 3, kind: 'throw' }, deferredSplit: 'units' });
  const data = { data: x, shape: [N, D] };
  const labels = { data: y, shape: [N] };
  try {
    await assert.rejects(
      m.fit(data, labels, { batchSize: 32, shuffle: false, gradients: t }),
      (e: unknown) => e instanceof ParallelTrainingError && /injected failure at command 3/.test(e.message),
    );
    assert.equal(m.progress.step, 1, 'the failing step is not applied');
    // The same trainer goes on: its next steps must wait for the helper's units again.
    await m.fit(data, labels, { batchSize: 32, shuffle: false, gradients: t });
  } finally {
    await t.close();
  }
  const one = model(spec());
  one.trainStep(x.subarray(0, 32 * D), y.subarray(0, 32), 32, null, 0);
  await one.fit(data, labels, { batchSize: 32, shuffle: false });
  assert.deepEqual(m.getWeights(), one.getWeights(), 'after the failed step, the 1-thread result of the steps that were applied');
});

test('phase A by units: a helper thread that dies in it wakes the main thread with a ParallelTrainingError', async () => {
  const m = model(spec());
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, fault: { atCommand: 3, kind: 'exit' }, deferredSplit: 'units' });
  try {
    await assert.rejects(
      m.fit({ data: x, shape: [N, D] }, { data: y, shape: [N] }, { batchSize: 32, gradients: t }),
      (e: unknown) => e instanceof ParallelTrainingError && /helper 1 exited unexpectedly/.test(e.message),
    );
    assert.throws(() => t.computeGradients(x, y, 32, null), /helper/);
  } finally {
    await t.close();
  }
});
