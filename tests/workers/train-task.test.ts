/**
 * The training task on its own (no pool, no database): it reports steps,
 * epochs and checkpoints in order, stops within one step of a request and
 * checkpoints first, and a run resumed from that checkpoint ends with the
 * same weights as one that never stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { train } from '../../src/workers/tasks/train.ts';
import { CONTROL, type TrainMessage, type TrainOutcome } from '../../src/workers/tasks/messages.ts';
import { resolveTrainingConfig } from '../../src/shared/training-config.ts';
import { decodeSafetensors } from '../../src/engine/index.ts';
import { blobs, idxBytes, mlpSpec } from '../helpers/datasets.ts';
import { runTask, type TaskStop } from '../helpers/run-task.ts';

const data = blobs(200, 8, 3, 5);
const dataset = { format: 'idx' as const, parts: { x: idxBytes('f32', [200, 8], data.x), y: idxBytes('u8', [200], data.y) }, options: {} };
const training = resolveTrainingConfig({ loss: 'sparseCategoricalCrossentropy', epochs: 4, batchSize: 10, seed: 3, optimizer: { type: 'adam', learningRate: 0.01 }, checkpoints: { minIntervalSeconds: 0 } }, () => 0);

async function run(opts: { checkpoint?: Uint8Array } & TaskStop = {}): Promise<{ outcome: TrainOutcome; messages: TrainMessage[] }> {
  return runTask((control, port) => train({ jobId: 'j', spec: mlpSpec(), training, dataset, checkpoint: opts.checkpoint ?? null, control, port }), opts);
}

function weightsOf(checkpoint: Uint8Array): Record<string, number[]> {
  const { tensors } = decodeSafetensors(checkpoint);
  const out: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(tensors)) if (name.startsWith('layers.')) out[name] = Array.from(t.data as Float32Array);
  return out;
}

test('the task reports steps, epochs and checkpoints in order, and ends with "end"', async () => {
  const { outcome, messages } = await run();
  assert.equal(outcome.outcome, 'completed');
  const types = messages.map((m) => m.type);
  assert.equal(types[0], 'begin');
  assert.equal(types.at(-1), 'end');
  assert.equal(types.filter((x) => x === 'epoch').length, 4);
  assert.equal(types.filter((x) => x === 'checkpoint').length, 4);
  const steps = messages.flatMap((m) => (m.type === 'steps' ? m.points.map((p) => p.step) : []));
  assert.deepEqual(steps, Array.from({ length: 80 }, (_, i) => i + 1));
  assert.ok(outcome.outcome === 'completed' && outcome.step === 80);
});

test('by default an epoch checkpoint waits 10 s after the last: epochs this short post only a held best one, and the final', async () => {
  // Adam at 0.1 overshoots after epoch 1 here, so the best epoch is not the last and is held.
  const quick = resolveTrainingConfig({ loss: 'sparseCategoricalCrossentropy', epochs: 4, batchSize: 10, seed: 3, validationSplit: 0.2, optimizer: { type: 'adam', learningRate: 0.1 } }, () => 0);
  assert.equal(quick.checkpoints.minIntervalSeconds, 10);
  const { outcome, messages } = await runTask((control, port) => train({ jobId: 'j', spec: mlpSpec(), training: quick, dataset, checkpoint: null, control, port }), {});
  const epochs = messages.flatMap((m) => (m.type === 'epoch' ? [m] : []));
  assert.equal(epochs.length, 4, 'every epoch still reports its metrics');
  assert.ok(outcome.outcome === 'completed' && outcome.checkpoint.length > 0 && outcome.step === 64);
  // The best epoch by val_loss (ties to the later) is among what the service gets: a held epoch checkpoint, or the final one.
  const bestEpoch = epochs.reduce((b, e) => (e.logs.val_loss <= b.logs.val_loss ? e : b));
  const posted = messages.flatMap((m) => (m.type === 'checkpoint' ? [m] : []));
  assert.ok(posted.length <= 1, `at most the held best: ${posted.map((c) => c.epoch).join(', ')}`);
  assert.notEqual(bestEpoch.epoch, 3, `the best epoch is an earlier one (val_loss ${epochs.map((e) => e.logs.val_loss.toFixed(4)).join(' ')})`);
  assert.deepEqual(posted.map((c) => [c.epoch, c.step, c.keep]), [[bestEpoch.epoch, bestEpoch.step, true]]);
});

test('a run that fails with a non-finite loss still posts the best epoch it held back', async () => {
  // A regression whose learning rate jumps from 0.02 to 1 at step 64 (epoch 4 of 16-step
  // epochs): it diverges a few steps later. Epochs 0-3 are shorter than the 10 s interval.
  const diverging = resolveTrainingConfig({
    loss: 'mse', epochs: 8, batchSize: 10, seed: 3, validationSplit: 0.2,
    optimizer: { type: 'sgd', learningRate: { type: 'piecewiseConstantDecay', boundaries: [64], values: [0.02, 1] } },
  }, () => 0);
  const spec = { inputShape: [8], layers: [{ type: 'dense', units: 16, activation: 'linear' }, { type: 'dense', units: 1 }] };
  const values = { ...dataset, options: { labels: 'values' } };
  const { outcome, messages } = await runTask((control, port) => train({ jobId: 'j', spec, training: diverging, dataset: values, checkpoint: null, control, port }), {});
  assert.ok(outcome.outcome === 'failed' && outcome.code === 'non_finite_loss', JSON.stringify(outcome));
  const epochs = messages.flatMap((m) => (m.type === 'epoch' ? [m] : []));
  assert.ok(epochs.length >= 2, `some epochs ended before the divergence: ${epochs.length}`);
  const best = epochs.reduce((b, e) => (e.logs.val_loss <= b.logs.val_loss ? e : b));
  const posted = messages.flatMap((m) => (m.type === 'checkpoint' ? [m] : []));
  assert.deepEqual(posted.map((c) => [c.epoch, c.keep]), [[best.epoch, true]]);
  assert.ok(messages.findIndex((m) => m.type === 'checkpoint') < messages.findIndex((m) => m.type === 'end'), 'before the end message');
});

test('with restoreBestWeights, a held best last epoch still goes out: the final checkpoint holds older weights', async () => {
  // minDelta 0.02: early stopping's best is the last epoch that improved by 0.02, while the
  // job's best (val_loss, any improvement) is the last epoch, where training stops.
  const es = resolveTrainingConfig({
    loss: 'sparseCategoricalCrossentropy', epochs: 10, batchSize: 10, seed: 3, validationSplit: 0.2, optimizer: { type: 'adam', learningRate: 0.01 },
    earlyStopping: { monitor: 'val_loss', minDelta: 0.02, patience: 1, restoreBestWeights: true },
  }, () => 0);
  const { outcome, messages } = await runTask((control, port) => train({ jobId: 'j', spec: mlpSpec(), training: es, dataset, checkpoint: null, control, port }), {});
  assert.ok(outcome.outcome === 'earlyStopping', JSON.stringify(outcome));
  const epochs = messages.flatMap((m) => (m.type === 'epoch' ? [m] : []));
  const best = epochs.reduce((b, e) => (e.logs.val_loss <= b.logs.val_loss ? e : b));
  assert.equal(best.step, outcome.step, `the job's best epoch is the last (val_loss ${epochs.map((e) => e.logs.val_loss.toFixed(4)).join(' ')})`);
  const posted = messages.flatMap((m) => (m.type === 'checkpoint' ? [m] : []));
  assert.deepEqual(posted.map((c) => [c.epoch, c.step, c.keep]), [[best.epoch, best.step, true]]);
  assert.notDeepEqual(weightsOf(posted[0].bytes), weightsOf(outcome.checkpoint), 'the final checkpoint has the restored, older weights');
});

test('a stop request takes effect after the step in progress, with a checkpoint taken there', async () => {
  const { outcome, messages } = await run({ stopAtStep: 27 });
  assert.equal(outcome.outcome, 'cancel');
  assert.ok(outcome.outcome === 'cancel' && outcome.step === 27, `stopped at ${'step' in outcome ? outcome.step : '?'}`);
  const last = messages.flatMap((m) => (m.type === 'steps' ? m.points.map((p) => p.step) : [])).at(-1);
  assert.equal(last, 27, 'no step ran after the request');
});

test('shutdown mid-epoch, then resume from its checkpoint: the same final weights as an uninterrupted run', async () => {
  const straight = await run();
  const stopped = await run({ stopAtStep: 33, kind: CONTROL.shutdown });
  assert.equal(stopped.outcome.outcome, 'shutdown');
  assert.ok(stopped.outcome.outcome === 'shutdown');
  const resumed = await run({ checkpoint: stopped.outcome.checkpoint });
  assert.equal(resumed.outcome.outcome, 'completed');
  assert.ok(straight.outcome.outcome === 'completed' && resumed.outcome.outcome === 'completed');
  assert.equal(resumed.outcome.step, 80);
  assert.deepEqual(weightsOf(resumed.outcome.checkpoint), weightsOf(straight.outcome.checkpoint));
  // The resumed run reports only the steps it ran.
  const steps = resumed.messages.flatMap((m) => (m.type === 'steps' ? m.points.map((p) => p.step) : []));
  assert.equal(steps[0], 34);
});

test('a non-finite loss fails the task with the step and the reason', async () => {
  const bad = resolveTrainingConfig({ loss: 'sparseCategoricalCrossentropy', epochs: 2, batchSize: 10, seed: 3, optimizer: { type: 'sgd', learningRate: 1e30 } }, () => 0);
  const { port2 } = new MessageChannel();
  const outcome = await train({ jobId: 'j', spec: mlpSpec(), training: bad, dataset, checkpoint: null, control: new SharedArrayBuffer(4), port: port2 });
  assert.equal(outcome.outcome, 'failed');
  assert.ok(outcome.outcome === 'failed');
  assert.equal(outcome.code, 'non_finite_loss');
  assert.match(outcome.message, /loss became (NaN|Infinity|-Infinity) at epoch \d+, step \d+/);
});

test('epochs of more than 200 steps record the loss at every k-th step (k = ceil(steps / 200)), at each epoch\'s last, where a stop came, and at least once a second', async () => {
  const long = blobs(501, 8, 3, 5);
  const big = { format: 'idx' as const, parts: { x: idxBytes('f32', [501, 8], long.x), y: idxBytes('u8', [501], long.y) }, options: {} };
  // floor(501 x 0.9) = 450 training samples (fit's count; 501 - floor(50.1) would say 451) in
  // batches of 2: 225 steps an epoch, so every 2nd step and the 225th.
  const cfg = resolveTrainingConfig({ loss: 'sparseCategoricalCrossentropy', epochs: 2, batchSize: 2, validationSplit: 0.1, seed: 3, optimizer: { type: 'adam', learningRate: 0.01 }, checkpoints: { minIntervalSeconds: 0 } }, () => 0);
  const go = (stop: TaskStop = {}, checkpoint: Uint8Array | null = null) =>
    runTask((control, port) => train({ jobId: 'j', spec: mlpSpec(), training: cfg, dataset: big, checkpoint, control, port }), stop);
  const pointsOf = (messages: TrainMessage[]) => messages.flatMap((m) => (m.type === 'steps' ? m.points : []));
  /** The recorded steps: `expected` all there, and any other one at least a second after the point before it (a slow machine's progress point). */
  const check = (messages: TrainMessage[], expected: number[]): void => {
    const pts = pointsOf(messages);
    const steps = pts.map((p) => p.step);
    for (const e of expected) assert.ok(steps.includes(e), `step ${e} recorded`);
    const want = new Set(expected);
    for (let i = 0; i < pts.length; i++) {
      if (want.has(pts[i].step)) continue;
      assert.ok(i > 0 && pts[i].time - pts[i - 1].time >= 1000, `step ${pts[i].step} recorded only ${i > 0 ? pts[i].time - pts[i - 1].time : '?'} ms after the last point`);
    }
    assert.deepEqual(steps, [...steps].sort((a, b) => a - b), 'in order, once each');
    assert.equal(new Set(steps).size, steps.length);
  };
  const whole = await go();
  assert.ok(whole.outcome.outcome === 'completed' && whole.outcome.step === 450);
  const epochSteps = (e: number) => [...Array.from({ length: 112 }, (_, i) => e * 225 + 2 * (i + 1)), e * 225 + 225];
  check(whole.messages, [...epochSteps(0), ...epochSteps(1)]);
  const begin = whole.messages.find((m) => m.type === 'begin');
  assert.ok(begin?.type === 'begin' && begin.stepsPerEpoch === 225);
  // A stop after step 101 (odd): that step is recorded too, and nothing after it.
  const stopped = await go({ stopAtStep: 101 });
  assert.ok(stopped.outcome.outcome === 'cancel' && stopped.outcome.step === 101);
  check(stopped.messages, [...Array.from({ length: 50 }, (_, i) => 2 * (i + 1)), 101]);
  assert.equal(pointsOf(stopped.messages).at(-1)?.step, 101);
  // Resumed from the stop's checkpoint: the same stride steps as the uninterrupted run, from 102 on.
  const resumed = await go({}, stopped.outcome.checkpoint);
  assert.ok(resumed.outcome.outcome === 'completed' && resumed.outcome.step === 450);
  check(resumed.messages, [...epochSteps(0), ...epochSteps(1)].filter((s) => s > 101));
  assert.ok(pointsOf(resumed.messages).every((p) => p.step > 101));
});

test('training.lossEverySteps sets the stride: 1 records every step, 50 every 50th and each epoch\'s last', async () => {
  const long = blobs(450, 8, 3, 5);
  const ds = { format: 'idx' as const, parts: { x: idxBytes('f32', [450, 8], long.x), y: idxBytes('u8', [450], long.y) }, options: {} };
  const stepsWith = async (lossEverySteps: number): Promise<number[]> => {
    const cfg = resolveTrainingConfig({ loss: 'sparseCategoricalCrossentropy', epochs: 1, batchSize: 2, seed: 3, lossEverySteps }, () => 0);
    assert.equal(cfg.lossEverySteps, lossEverySteps);
    const { outcome, messages } = await runTask((control, port) => train({ jobId: 'j', spec: mlpSpec(), training: cfg, dataset: ds, checkpoint: null, control, port }), {});
    assert.ok(outcome.outcome === 'completed' && outcome.step === 225);
    return messages.flatMap((m) => (m.type === 'steps' ? m.points.map((p) => p.step) : []));
  };
  assert.deepEqual(await stepsWith(1), Array.from({ length: 225 }, (_, i) => i + 1));
  const fifty = await stepsWith(50);
  for (const s of [50, 100, 150, 200, 225]) assert.ok(fifty.includes(s), `step ${s}`);
  // Anything else only from the once-a-second rule on a slow machine.
  assert.ok(fifty.length < 20, `${fifty.length} points`);
});

test('a short last batch: the epoch\'s last step is recorded', async () => {
  // 453 samples in batches of 2 (no validation): 227 steps, the last of 1 row; every 2nd step, and the 227th.
  const odd = blobs(453, 8, 3, 5);
  const ds = { format: 'idx' as const, parts: { x: idxBytes('f32', [453, 8], odd.x), y: idxBytes('u8', [453], odd.y) }, options: {} };
  const cfg = resolveTrainingConfig({ loss: 'sparseCategoricalCrossentropy', epochs: 1, batchSize: 2, seed: 3 }, () => 0);
  const { outcome, messages } = await runTask((control, port) => train({ jobId: 'j', spec: mlpSpec(), training: cfg, dataset: ds, checkpoint: null, control, port }), {});
  assert.ok(outcome.outcome === 'completed' && outcome.step === 227);
  const steps = messages.flatMap((m) => (m.type === 'steps' ? m.points.map((p) => p.step) : []));
  for (let s = 2; s <= 226; s += 2) assert.ok(steps.includes(s), `step ${s}`);
  assert.equal(steps.at(-1), 227);
});

test('the steps an epoch has are fit\'s own count, also where 1 - validationSplit rounds the other way', async () => {
  // 29 samples, validationSplit 0.1: fit trains on floor(29 * 0.9) = 26 (29 - floor(2.9) would say 27).
  const few = blobs(29, 8, 3, 5);
  const small = { format: 'idx' as const, parts: { x: idxBytes('f32', [29, 8], few.x), y: idxBytes('u8', [29], few.y) }, options: {} };
  const cfg = resolveTrainingConfig({ loss: 'sparseCategoricalCrossentropy', epochs: 2, batchSize: 2, validationSplit: 0.1, seed: 3 }, () => 0);
  const { outcome, messages } = await runTask((control, port) => train({ jobId: 'j', spec: mlpSpec(), training: cfg, dataset: small, checkpoint: null, control, port }), {});
  const begin = messages.find((m) => m.type === 'begin');
  assert.ok(begin?.type === 'begin' && begin.trainSamples === 26 && begin.stepsPerEpoch === 13, JSON.stringify(begin));
  assert.ok(outcome.outcome === 'completed' && outcome.step === 26);
});
