/**
 * The training task with `training.threads: 2`: it trains data-parallel on the same path
 * (fit with a ParallelTrainer): an MLP ends with exactly the 1-thread run's weights, a model
 * with dropout with weights close to them and exactly reproducible for the same seed; a
 * model with batchNormalization fails the job with `parallel_training` instead of training
 * wrongly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { train } from '../../src/workers/tasks/train.ts';
import type { TrainMessage, TrainOutcome, TrainTaskInput } from '../../src/workers/tasks/messages.ts';
import { resolveTrainingConfig } from '../../src/shared/training-config.ts';
import { decodeSafetensors } from '../../src/engine/index.ts';
import { blobs, idxBytes, mlpSpec } from '../helpers/datasets.ts';

const data = blobs(200, 8, 3, 5);
const dataset = { format: 'idx' as const, parts: { x: idxBytes('f32', [200, 8], data.x), y: idxBytes('u8', [200], data.y) }, options: {} };

async function run(
  threads: number | undefined, spec: unknown = mlpSpec(), checkpoint: Uint8Array | null = null, messages: TrainMessage[] = [], exactAcrossThreads = false,
): Promise<TrainOutcome> {
  const training = resolveTrainingConfig(
    {
      loss: 'sparseCategoricalCrossentropy', epochs: 3, batchSize: 20, seed: 3, optimizer: { type: 'adam', learningRate: 0.01 }, checkpoints: { minIntervalSeconds: 0 },
      ...(threads ? { threads } : {}), ...(exactAcrossThreads ? { exactAcrossThreads } : {}),
    },
    () => 0,
  );
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (m: TrainMessage) => messages.push(m));
  const input: TrainTaskInput = { jobId: 'j', spec, training, dataset, checkpoint, control: new SharedArrayBuffer(4), port: port2 };
  try {
    return await train(input);
  } finally {
    await new Promise((r) => setTimeout(r, 20));
    port1.close();
  }
}

function weights(o: TrainOutcome): Float32Array[] {
  assert.ok(o.outcome === 'completed', JSON.stringify(o));
  const { tensors } = decodeSafetensors(o.checkpoint);
  return Object.entries(tensors).filter(([n]) => n.startsWith('layers.')).sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => t.data as Float32Array);
}

test('training.threads and exactAcrossThreads are resolved only when threads is above 1', () => {
  assert.equal(resolveTrainingConfig({ loss: 'mse', epochs: 1 }, () => 0).threads, undefined);
  assert.equal(resolveTrainingConfig({ loss: 'mse', epochs: 1, threads: 2 }, () => 0).threads, 2);
  assert.equal(resolveTrainingConfig({ loss: 'mse', epochs: 1, threads: 2 }, () => 0).exactAcrossThreads, undefined);
  assert.equal(resolveTrainingConfig({ loss: 'mse', epochs: 1, threads: 2, exactAcrossThreads: true }, () => 0).exactAcrossThreads, true);
  assert.equal(resolveTrainingConfig({ loss: 'mse', epochs: 1, threads: 1, exactAcrossThreads: true }, () => 0).exactAcrossThreads, undefined);
});

test('threads: 2 with exactAcrossThreads trains an MLP to exactly the 1-thread weights, also with an l2 regulariser', async () => {
  assert.deepEqual(weights(await run(2, mlpSpec(), null, [], true)), weights(await run(undefined)));
  // A job with threads: 2 used to fail on an 'l2' regulariser (its normalized spec did not re-validate).
  const l2 = { inputShape: [8], layers: [{ type: 'dense', units: 16, activation: 'relu', kernelRegularizer: 'l2' }, { type: 'dense', units: 3, activation: 'softmax' }] };
  assert.deepEqual(weights(await run(2, l2, null, [], true)), weights(await run(undefined, l2)));
});

test('threads: 2 trains an MLP to exactly the 1-thread weights without being asked (the deferred protocol is the default)', async () => {
  const one = weights(await run(undefined));
  assert.deepEqual(weights(await run(2)), one);
  // Two hidden layers too (the unit split, the default before, took one only).
  const deeper = { inputShape: [8], layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 12, activation: 'tanh' }, { type: 'dense', units: 3, activation: 'softmax' }] };
  assert.deepEqual(weights(await run(2, deeper)), weights(await run(undefined, deeper)));
});

test('threads: 2 with dropout (the row-split protocol) trains close to 1 thread, reproducibly', async () => {
  const spec = { inputShape: [8], layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 3, activation: 'softmax' }] };
  const one = weights(await run(undefined, spec));
  const a = weights(await run(2, spec));
  const b = weights(await run(2, spec));
  assert.deepEqual(a, b);
  // Dropout masks differ between 1 and 2 threads (each helper has its own stream): close, not equal.
  let d = 0;
  for (let k = 0; k < one.length; k++) for (let i = 0; i < one[k].length; i++) d = Math.max(d, Math.abs(one[k][i] - a[k][i]));
  assert.ok(d > 0 && d < 0.5, `largest difference ${d}`);
});

for (const exact of [false, true]) {
  test(`threads: 2${exact ? ' with exactAcrossThreads' : ''} resumed from an epoch checkpoint ends with the same weights as an uninterrupted run`, async () => {
    const messages: TrainMessage[] = [];
    const whole = weights(await run(2, mlpSpec(), null, messages, exact));
    const first = messages.find((m) => m.type === 'checkpoint' && m.epoch === 0);
    assert.ok(first && first.type === 'checkpoint');
    const resumed = weights(await run(2, mlpSpec(), first.bytes, [], exact));
    assert.deepEqual(resumed, whole);
  });
}

test('threads: 2 with batchNormalization fails the job with parallel_training', async () => {
  const spec = { inputShape: [8], layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'batchNormalization' }, { type: 'dense', units: 3, activation: 'softmax' }] };
  const o = await run(2, spec);
  assert.equal(o.outcome, 'failed');
  assert.ok(o.outcome === 'failed' && o.code === 'parallel_training' && /batchNormalization/.test(o.message), JSON.stringify(o));
});
