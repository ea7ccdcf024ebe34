/** fit / evaluate / predict: determinism, validationSplit, classWeight, NaN detection, callbacks, early stopping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { NonFiniteLossError, TrainingAbortedError, DataShapeError } from '../../src/engine/errors.ts';
import { EarlyStopping } from '../../src/engine/train/earlyStopping.ts';
import { blobs, mlpSpec, sameBits } from './helpers/toyData.ts';

const N = 200;
const { x, y, dims } = blobs(N);
const X = { data: x, shape: [N, dims] };
const Y = { data: y, shape: [N] };

function model(seed = 1, spec: object = mlpSpec(dims), optimizer: unknown = { type: 'adam', learningRate: 0.01 }, metrics = ['accuracy']): Sequential {
  const m = Sequential.fromSpec(spec, { seed });
  m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics });
  return m;
}

test('fit learns the toy problem and logs Keras names', async () => {
  const m = model();
  const h = await m.fit(X, Y, { epochs: 5, batchSize: 16, validationSplit: 0.25 });
  assert.deepEqual(Object.keys(h.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  assert.deepEqual(h.epoch, [0, 1, 2, 3, 4]);
  assert.ok(h.history.loss[4] < h.history.loss[0]);
  assert.ok(h.history.val_accuracy[4] > 0.75, `val_accuracy ${h.history.val_accuracy[4]}`);
  const ev = m.evaluate(X, Y);
  assert.ok(ev.accuracy > 0.8, `accuracy ${ev.accuracy}`);
  const p = m.predict(X);
  assert.deepEqual(p.shape, [N, 3]);
  for (let i = 0; i < N; i++) {
    const s = p.data[i * 3] + p.data[i * 3 + 1] + p.data[i * 3 + 2];
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
});

test('the same seed gives bit-identical weights; another seed does not', async () => {
  const run = async (seed: number): Promise<Float32Array> => {
    const m = model(seed);
    await m.fit(X, Y, { epochs: 3, batchSize: 10, validationSplit: 0.1 });
    return m.getWeights();
  };
  const a = await run(42);
  const b = await run(42);
  assert.ok(sameBits(a, b), 'same seed, different weights');
  assert.ok(!sameBits(a, await run(43)));
});

test('validationSplit takes the LAST fraction, before shuffling', async () => {
  // Poison the inputs of the last 20% with NaN: training never sees them (no NonFiniteLossError),
  // validation does (val_loss is NaN).
  const xp = Float32Array.from(x);
  xp.fill(Number.NaN, 160 * dims);
  const m = Sequential.fromSpec(mlpSpec(dims), { seed: 1 });
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  let steps = 0;
  const h = await m.fit({ data: xp, shape: [N, dims] }, Y, { epochs: 2, batchSize: 16, validationSplit: 0.2, callbacks: { onBatchEnd: () => { steps++; } } });
  assert.equal(steps, 2 * Math.ceil(160 / 16));
  assert.ok(Number.isFinite(h.history.loss[1]));
  assert.ok(Number.isNaN(h.history.val_loss[1]));
  // The last fraction is exactly samples 160..199: evaluating them gives the logged val_loss.
  const m2 = model(1);
  const h2 = await m2.fit(X, Y, { epochs: 1, batchSize: 16, validationSplit: 0.2 });
  // Same batch size as fit's validation pass, so the loss is summed in the same order.
  const ev = m2.evaluate({ data: x.subarray(160 * dims), shape: [40, dims] }, { data: y.subarray(160), shape: [40] }, { batchSize: 16 });
  assert.equal(ev.loss, h2.history.val_loss[0]);
  assert.equal(ev.accuracy, h2.history.val_accuracy[0]);
});

test('validationData is used as given', async () => {
  const m = model(1);
  const vx = { data: x.subarray(0, 50 * dims), shape: [50, dims] };
  const vy = { data: y.subarray(0, 50), shape: [50] };
  const h = await m.fit(X, Y, { epochs: 1, validationData: [vx, vy] });
  assert.equal(h.history.val_loss[0], m.evaluate(vx, vy).loss);
});

test('classWeight weights each sample\'s loss by its class (Keras reduction: sum / batch size)', async () => {
  const cw = { 0: 3, 1: 0.5 };
  const m = model(1, mlpSpec(dims, 0), { type: 'sgd', learningRate: 0 });
  const h = await m.fit(X, Y, { epochs: 1, batchSize: N, shuffle: false, classWeight: cw });
  let expected = 0;
  for (let i = 0; i < N; i++) {
    const li = m.evaluate({ data: x.subarray(i * dims, (i + 1) * dims), shape: [1, dims] }, { data: y.subarray(i, i + 1), shape: [1] }).loss;
    expected += (cw[y[i] as 0 | 1] ?? 1) * li;
  }
  expected /= N;
  assert.ok(Math.abs(h.history.loss[0] - expected) < 1e-6, `${h.history.loss[0]} vs ${expected}`);
  // ...and changes the gradient: training with and without it diverges.
  const a = model(1, mlpSpec(dims, 0));
  const b = model(1, mlpSpec(dims, 0));
  await a.fit(X, Y, { epochs: 1, shuffle: false });
  await b.fit(X, Y, { epochs: 1, shuffle: false, classWeight: { 2: 5 } });
  assert.ok(!sameBits(a.getWeights(), b.getWeights()));
});

test('a NaN loss stops training with NonFiniteLossError naming the epoch, step and value; the bad step is not applied', async () => {
  const xp = Float32Array.from(x);
  xp[37 * dims + 2] = Number.NaN; // sample 37 is in batch 3 (batch size 10, no shuffle)
  const m = model(1);
  let before: Float32Array | null = null;
  await assert.rejects(
    m.fit({ data: xp, shape: [N, dims] }, Y, {
      epochs: 2, batchSize: 10, shuffle: false,
      callbacks: { onBatchEnd: () => { before = m.getWeights(); } },
    }),
    (e: unknown) => {
      assert.ok(e instanceof NonFiniteLossError);
      assert.equal(e.code, 'non_finite_loss');
      assert.equal(e.epoch, 0);
      assert.equal(e.step, 3);
      assert.ok(Number.isNaN(e.value));
      assert.match(e.message, /loss became NaN at epoch 0, step 3/);
      return true;
    },
  );
  assert.ok(before !== null && sameBits(before, m.getWeights()));
  for (const v of m.getWeights()) assert.ok(Number.isFinite(v));
});

test('an infinite loss (exploding learning rate) is caught too', async () => {
  const spec = { inputShape: [dims], layers: [{ type: 'dense', units: 1 }] };
  const m = Sequential.fromSpec(spec, { seed: 1 });
  m.compile({ optimizer: { type: 'sgd', learningRate: 1e6 }, loss: 'mse' });
  await assert.rejects(m.fit(X, { data: y, shape: [N, 1] }, { epochs: 50, batchSize: 50 }), NonFiniteLossError);
});

test('callbacks: hooks run in order; returning true or setting stopTraining stops', async () => {
  const events: string[] = [];
  const m = model(1);
  const h = await m.fit(X, Y, {
    epochs: 3, batchSize: 50,
    callbacks: {
      onTrainBegin: () => { events.push('trainBegin'); },
      onEpochBegin: (e) => { events.push(`epochBegin ${e}`); },
      onBatchEnd: (b, logs, info) => { events.push(`batch ${b} step ${info.step} ${typeof logs.loss}`); return info.step === 6; },
      onEpochEnd: (e, logs) => { events.push(`epochEnd ${e} ${'accuracy' in logs}`); },
      onTrainEnd: () => { events.push('trainEnd'); },
    },
  });
  assert.deepEqual(events, [
    'trainBegin', 'epochBegin 0', 'batch 0 step 1 number', 'batch 1 step 2 number', 'batch 2 step 3 number', 'batch 3 step 4 number', 'epochEnd 0 true',
    'epochBegin 1', 'batch 0 step 5 number', 'batch 1 step 6 number', 'epochEnd 1 true', 'trainEnd',
  ]);
  assert.equal(h.stopReason, 'stopped');
  const m2 = model(1);
  const h2 = await m2.fit(X, Y, { epochs: 5, callbacks: { onEpochEnd: async (e) => { if (e === 1) m2.stopTraining = true; } } });
  assert.deepEqual(h2.epoch, [0, 1]);
});

test('an AbortSignal rejects with TrainingAbortedError', async () => {
  const ac = new AbortController();
  const m = model(1);
  await assert.rejects(
    m.fit(X, Y, { epochs: 5, batchSize: 10, signal: ac.signal, callbacks: { onBatchEnd: (b) => { if (b === 4) ac.abort(); } } }),
    (e: unknown) => e instanceof TrainingAbortedError && e.epoch === 0 && e.step === 5,
  );
});

test('data errors name both shapes', async () => {
  const m = model(1);
  await assert.rejects(m.fit({ data: x, shape: [N / 2, dims * 2] }, Y), /x: the model expects samples of shape \[6\] \(input \[n,6\]\) but x has shape \[100,12\]/);
  await assert.rejects(m.fit(X, { data: y.subarray(0, 100), shape: [100] }), /y: 100 labels for 200 samples/);
  await assert.rejects(m.fit(X, { data: new Float32Array(N * 3), shape: [N, 3] }), (e: unknown) => e instanceof DataShapeError && /needs 1 label value\(s\) per sample/.test(e.message));
  const bad = Float32Array.from(y);
  bad[17] = 3;
  await assert.rejects(m.fit(X, { data: bad, shape: [N] }), /y\[17\]: class index 3 is out of range for an output of 3 classes \(0\.\.2\)/);
  bad[17] = 0.5;
  await assert.rejects(m.fit(X, { data: bad, shape: [N] }), /y\[17\]: class index 0\.5 is not an integer/);
});

test('early stopping with restoreBestWeights puts back the best epoch\'s weights', async () => {
  const fake = [5, 3, 4, 3.5, 6, 7, 8];
  const snapshots: Float32Array[] = [];
  const m = model(1);
  const h = await m.fit(X, Y, {
    epochs: 7, batchSize: 20,
    callbacks: { onEpochEnd: (e, logs) => { logs.val_fake = fake[e]; snapshots.push(m.getWeights()); } },
    earlyStopping: { monitor: 'val_fake', patience: 2, restoreBestWeights: true },
  });
  assert.deepEqual(h.epoch, [0, 1, 2, 3]);
  assert.equal(h.stopReason, 'earlyStopping');
  assert.ok(sameBits(m.getWeights(), snapshots[1]), 'weights are not those of epoch 1');
  assert.ok(!sameBits(m.getWeights(), snapshots[3]));
});

test('early stopping on val_loss without restoring keeps the last weights', async () => {
  const es = new EarlyStopping({ patience: 0, minDelta: 10 });
  const m = model(1);
  let last: Float32Array | null = null;
  const h = await m.fit(X, Y, { epochs: 5, validationSplit: 0.2, earlyStopping: es, callbacks: { onEpochEnd: () => { last = m.getWeights(); } } });
  // minDelta 10 means no epoch after the first counts as an improvement: stop at epoch 1.
  assert.deepEqual(h.epoch, [0, 1]);
  assert.equal(es.stoppedEpoch, 1);
  assert.ok(last !== null && sameBits(m.getWeights(), last));
});

test('EarlyStopping logic: mode auto, minDelta, baseline, patience', () => {
  const owner = { stopTraining: false, getWeights: () => new Float32Array(1), setWeights: () => {} };
  const feed = (es: EarlyStopping, values: number[]): number => {
    es.setModel(owner);
    es.onTrainBegin();
    for (let e = 0; e < values.length; e++) if (es.onEpochEnd(e, { [es.monitor]: values[e] })) return e;
    return -1;
  };
  assert.equal(new EarlyStopping({ monitor: 'val_accuracy' }).mode, 'max');
  assert.equal(new EarlyStopping({ monitor: 'val_auc' }).mode, 'max');
  assert.equal(new EarlyStopping().mode, 'min');
  assert.equal(feed(new EarlyStopping({ monitor: 'val_accuracy', patience: 1 }), [0.5, 0.6, 0.6, 0.7]), 2);
  assert.equal(feed(new EarlyStopping({ patience: 1, minDelta: 0.1 }), [1, 0.95, 0.85, 0.8]), 1);
  assert.equal(feed(new EarlyStopping({ patience: 1, minDelta: 0.1 }), [1, 0.85, 0.8, 0.7]), 2);
  assert.equal(feed(new EarlyStopping({ patience: 2 }), [1, 0.9, 0.8, 0.85, 0.81, 0.7]), 4);
  // A baseline: improvements that do not beat it do not reset the wait (Keras: the check runs on non-improving epochs).
  assert.equal(feed(new EarlyStopping({ patience: 2, baseline: 0.5 }), [1, 0.9, 0.95, 0.97]), 2);
  assert.equal(feed(new EarlyStopping({ patience: 2 }), [1, 0.9, 0.95, 0.97]), 3);
  assert.equal(feed(new EarlyStopping({ patience: 0 }), [1, 1]), 1);
  assert.throws(() => new EarlyStopping({ mode: 'up' as 'min' }), /earlyStopping\.mode/);
});

test('fit before compile, and two concurrent fits, are refused', async () => {
  const m = Sequential.fromSpec(mlpSpec(dims), { seed: 1 });
  await assert.rejects(m.fit(X, Y), /call compile\(\{ optimizer, loss \}\) first/);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const first = m.fit(X, Y, { epochs: 2 });
  await assert.rejects(m.fit(X, Y), /fit is already running on this model/);
  await first;
  await m.fit(X, Y, { epochs: 1 });
});
