/**
 * The GAN task on its own (no pool, no database): it reports d_loss and g_loss
 * every step, the epoch means, and a checkpoint with a PNG of the sample grid
 * every epoch; it stops within one step of a request and checkpoints first; a
 * run resumed from that checkpoint ends bit-identical to one that never stopped;
 * the data set's range is mapped onto the generator's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gan } from '../../src/workers/tasks/gan.ts';
import { CONTROL, type TrainMessage, type TrainOutcome } from '../../src/workers/tasks/messages.ts';
import { GanTrainer, decodeSafetensors } from '../../src/engine/index.ts';
import { PNG_SIGNATURE } from '../../src/shared/png.ts';
import type { ResolvedGanTraining } from '../../src/shared/gan-config.ts';
import { idxBytes } from '../helpers/datasets.ts';
import { runTask, type TaskStop } from '../helpers/run-task.ts';
import { discriminatorSpec, generatorSpec, squares, squaresIdx } from '../helpers/gan-data.ts';

const dataset = { format: 'idx' as const, parts: squaresIdx(96), options: {} };
const spec = { generator: generatorSpec(), discriminator: discriminatorSpec() };
const training: ResolvedGanTraining = {
  epochs: 3, batchSize: 16, shuffle: true, seed: 4, checkpoints: { keepLast: 3 }, maxAttempts: 3,
  gan: { generatorOptimizer: { type: 'adam', learningRate: 0.001, beta1: 0.5 }, discriminatorOptimizer: { type: 'adam', learningRate: 0.001, beta1: 0.5 }, dSteps: 2, fixedSamples: 16, dataRange: 'auto' },
};
const STEPS = 3 * Math.floor(96 / 32);

async function run(opts: { checkpoint?: Uint8Array; training?: ResolvedGanTraining; parts?: typeof dataset.parts } & TaskStop = {}): Promise<{ outcome: TrainOutcome; messages: TrainMessage[] }> {
  return runTask((control, port) => gan({
    jobId: 'j', spec, training: opts.training ?? training, dataset: { ...dataset, parts: opts.parts ?? dataset.parts }, checkpoint: opts.checkpoint ?? null, control, port,
  }), opts);
}

function tensorsOf(checkpoint: Uint8Array): Record<string, number[]> {
  const { tensors } = decodeSafetensors(checkpoint);
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

function pngSize(png: Uint8Array): { width: number; height: number } {
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

test('the GAN task reports per-step d_loss/g_loss, epoch means, and checkpoints with a sample grid PNG', async () => {
  const { outcome, messages } = await run();
  assert.equal(outcome.outcome, 'completed');
  const types = messages.map((m) => m.type);
  assert.equal(types[0], 'begin');
  assert.equal(types.at(-1), 'end');
  const begin = messages[0];
  assert.ok(begin.type === 'begin');
  assert.equal(begin.stepsPerEpoch, 3, 'floor(96 / (16 x 2 dSteps))');
  const points = messages.flatMap((m) => (m.type === 'steps' ? m.points : []));
  assert.deepEqual(points.map((p) => p.step), Array.from({ length: STEPS }, (_, i) => i + 1));
  for (const p of points) assert.deepEqual(Object.keys(p.values).sort(), ['d_loss', 'g_loss']);
  const epochs = messages.filter((m) => m.type === 'epoch');
  assert.equal(epochs.length, 3);
  for (const e of epochs) assert.ok(e.type === 'epoch' && ['d_acc_fake', 'd_acc_real', 'd_loss', 'g_loss'].every((k) => Number.isFinite(e.logs[k])));
  const checkpoints = messages.filter((m) => m.type === 'checkpoint');
  assert.equal(checkpoints.length, 3);
  for (const c of checkpoints) {
    assert.ok(c.type === 'checkpoint' && c.samplePng);
    // 16 fixed samples: a 4x4 grid of 8x8 tiles with 1-pixel separators.
    assert.deepEqual(pngSize(c.samplePng), { width: 35, height: 35 });
  }
  assert.ok(outcome.outcome === 'completed' && outcome.step === STEPS && outcome.samplePng);
});

test('cancel: stops after the step in progress with a checkpoint and a grid taken there', async () => {
  const { outcome, messages } = await run({ stopAtStep: 4 });
  assert.ok(outcome.outcome === 'cancel', outcome.outcome);
  assert.equal(outcome.step, 4);
  assert.ok(outcome.samplePng);
  const last = messages.flatMap((m) => (m.type === 'steps' ? m.points.map((p) => p.step) : [])).at(-1);
  assert.equal(last, 4);
});

test('shutdown mid-epoch, then resume from its checkpoint: bit-identical to an uninterrupted run', async () => {
  const straight = await run();
  const stopped = await run({ stopAtStep: 5, kind: CONTROL.shutdown });
  assert.ok(stopped.outcome.outcome === 'shutdown');
  const resumed = await run({ checkpoint: stopped.outcome.checkpoint });
  assert.ok(straight.outcome.outcome === 'completed' && resumed.outcome.outcome === 'completed');
  assert.equal(resumed.outcome.step, STEPS);
  // Every tensor (weights, buffers, optimizer slots, fixed noise): the metadata may spell an RNG word signed or unsigned.
  assert.deepEqual(tensorsOf(resumed.outcome.checkpoint), tensorsOf(straight.outcome.checkpoint));
  assert.deepEqual(resumed.outcome.samplePng, straight.outcome.samplePng);
  const steps = resumed.messages.flatMap((m) => (m.type === 'steps' ? m.points.map((p) => p.step) : []));
  assert.equal(steps[0], 6);
});

test('dataRange: auto maps 0..255 pixels as [0, 255] does; data already in [-1, 1] trains as the engine does on it', async () => {
  const explicit = await run({ training: { ...training, epochs: 1, gan: { ...training.gan, dataRange: [0, 255] } } });
  const auto = await run({ training: { ...training, epochs: 1 } });
  assert.ok(explicit.outcome.outcome === 'completed' && auto.outcome.outcome === 'completed');
  assert.deepEqual(tensorsOf(auto.outcome.checkpoint), tensorsOf(explicit.outcome.checkpoint));
  // Pixels already in [-1, 1]: `auto` leaves them as they are, like an engine GanTrainer given them directly.
  const { x } = squares(96);
  const scaled = Float32Array.from(x, (v) => (v / 255) * 2 - 1);
  const pre = await run({ training: { ...training, epochs: 1 }, parts: { x: idxBytes('f32', [96, 8, 8, 1], scaled), y: dataset.parts.y } });
  const engine = new GanTrainer({ ...spec, generatorOptimizer: training.gan.generatorOptimizer, discriminatorOptimizer: training.gan.discriminatorOptimizer, dSteps: 2, seed: 4, fixedSamples: 16 });
  await engine.fit({ data: scaled, shape: [96, 8, 8, 1] }, { epochs: 1, batchSize: 16 });
  assert.ok(pre.outcome.outcome === 'completed');
  assert.deepEqual(tensorsOf(pre.outcome.checkpoint), tensorsOf(engine.saveCheckpoint()));
});

test('a non-finite loss fails the task with non_finite_loss', async () => {
  const bad = { ...training, gan: { ...training.gan, discriminatorOptimizer: { type: 'sgd', learningRate: 1e30 } } };
  const { outcome } = await run({ training: bad });
  assert.ok(outcome.outcome === 'failed', outcome.outcome);
  assert.equal(outcome.code, 'non_finite_loss');
});
