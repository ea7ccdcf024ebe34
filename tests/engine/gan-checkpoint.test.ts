/** GAN checkpoints: tensor names, bit-identical resume (mid-epoch, dSteps 2, batch norm, dropout), weights-only export. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GanTrainer } from '../../src/engine/gan/GanTrainer.ts';
import { readGanCheckpointInfo } from '../../src/engine/gan/ganCheckpoint.ts';
import { decodeSafetensors } from '../../src/engine/io/safetensors.ts';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { WeightsMismatchError } from '../../src/engine/errors.ts';
import { convOptions, images } from './ganToy.ts';

const N = 44;
const X = { data: images(N), shape: [N, 4, 4, 1] };
const FIT = { epochs: 3, batchSize: 4 };

test('resuming from a mid-epoch checkpoint is bit-identical to the uninterrupted run', async () => {
  for (const dSteps of [1, 2]) {
    const full = new GanTrainer(convOptions(31, dSteps));
    let ckpt: Uint8Array | null = null;
    const fullLogs: Record<string, number>[] = [];
    await full.fit(X, {
      ...FIT,
      callbacks: {
        onStepEnd: (step, logs) => {
          fullLogs.push({ ...logs });
          if (step === 4) ckpt = full.saveCheckpoint();
        },
      },
    });
    assert.ok(ckpt, 'checkpoint taken');
    const info = readGanCheckpointInfo(ckpt);
    assert.equal(info.seed, 31);
    assert.equal(info.dSteps, dSteps);
    // A fresh trainer from the same options but a different seed: everything must come from the checkpoint.
    const resumed = new GanTrainer(convOptions(999, dSteps));
    resumed.loadCheckpoint(ckpt);
    assert.equal(resumed.progress.step, 4);
    assert.ok(resumed.progress.stepInEpoch > 0, 'mid-epoch');
    const resumedLogs: Record<string, number>[] = [];
    await resumed.fit(X, { ...FIT, callbacks: { onStepEnd: (_s, logs) => { resumedLogs.push({ ...logs }); } } });
    assert.deepEqual(resumed.generator.getWeights(), full.generator.getWeights(), `G bit-identical (dSteps ${dSteps})`);
    assert.deepEqual(resumed.discriminator.getWeights(), full.discriminator.getWeights(), `D bit-identical (dSteps ${dSteps})`);
    assert.deepEqual(resumed.generatorOptimizer.getState(), full.generatorOptimizer.getState());
    assert.deepEqual(resumed.discriminatorOptimizer.getState(), full.discriminatorOptimizer.getState());
    assert.deepEqual(resumed.getRngStates(), full.getRngStates());
    assert.deepEqual(resumedLogs, fullLogs.slice(4));
    assert.deepEqual(resumed.sampleGrid(null, 2, 3).data, full.sampleGrid(null, 2, 3).data);
  }
});

test('a checkpoint taken at the end of fit resumes into more epochs identically', async () => {
  const full = new GanTrainer(convOptions(8));
  await full.fit(X, { ...FIT, epochs: 2 });
  const a = new GanTrainer(convOptions(8));
  await a.fit(X, { ...FIT, epochs: 1 });
  const b = new GanTrainer(convOptions(8));
  b.loadCheckpoint(a.saveCheckpoint());
  await b.fit(X, { ...FIT, epochs: 2 });
  assert.deepEqual(b.generator.getWeights(), full.generator.getWeights());
  assert.deepEqual(b.discriminator.getWeights(), full.discriminator.getWeights());
});

test('checkpoint tensor names; weights-only exports load as PyTorch state_dicts', async () => {
  const gan = new GanTrainer(convOptions());
  await gan.fit(X, { epochs: 1, batchSize: 4 });
  const { tensors, metadata } = decodeSafetensors(gan.saveCheckpoint());
  const names = Object.keys(tensors);
  for (const n of [
    'generator.layers.0.weight', 'generator.layers.0.bias', 'generator.layers.1.running_mean', 'generator.layers.4.weight',
    'discriminator.layers.0.weight', 'discriminator.layers.4.weight', 'discriminator.layers.1.running_var',
    'generator.optimizer.layers.0.weight.exp_avg', 'discriminator.optimizer.layers.4.bias.exp_avg_sq', 'fixed_noise',
  ]) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  assert.deepEqual(tensors.fixed_noise.shape, [6, 4]);
  assert.deepEqual(tensors['generator.optimizer.layers.0.weight.exp_avg'].shape, tensors['generator.layers.0.weight'].shape);
  assert.equal(metadata.format, 'pt');
  assert.ok(JSON.parse(metadata.trainyard_gan).progress.epoch === 1);

  for (const [bytes, model] of [[gan.saveGeneratorWeights(), gan.generator], [gan.saveDiscriminatorWeights(), gan.discriminator]] as const) {
    const w = decodeSafetensors(bytes);
    assert.ok(Object.keys(w.tensors).every((k) => k.startsWith('layers.')));
    const copy = Sequential.fromSpec(model.spec, { seed: 1 });
    copy.loadWeights(bytes);
    assert.deepEqual(copy.getWeights(), model.getWeights());
  }
});

test('loading a checkpoint of other networks fails naming the tensor and changes nothing', async () => {
  const gan = new GanTrainer(convOptions());
  const bigger = convOptions();
  (bigger.generator as { layers: { units?: number }[] }).layers[0].units = 16;
  (bigger.discriminator as { layers: { filters?: number }[] }).layers[0].filters = 5;
  const other = new GanTrainer(bigger);
  const before = other.discriminator.getWeights();
  assert.throws(() => other.loadCheckpoint(gan.saveCheckpoint()), (e: unknown) => e instanceof WeightsMismatchError && /discriminator\.layers\.0\.weight/.test(e.message));
  assert.deepEqual(other.discriminator.getWeights(), before);
  assert.throws(() => gan.loadCheckpoint(gan.saveGeneratorWeights()), /not a GAN checkpoint/);
});
