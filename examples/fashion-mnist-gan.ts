/**
 * A small DCGAN on Fashion-MNIST with Trainyard's engine alone.
 *
 * Generator: latent 100 → dense 7·7·C (batchNormalization, relu) → reshape [7, 7, C] →
 * conv2dTranspose C/2 4x4 stride 2 (batchNormalization, relu) → 14x14 →
 * conv2dTranspose 1 4x4 stride 2 tanh → 28x28x1.
 * Discriminator: conv2d C/2 4x4 stride 2 leakyRelu 0.2 → conv2d C 4x4 stride 2
 * leakyRelu 0.2 → flatten → dense 1 sigmoid (fused into the loss as logits).
 * Adam 2e-4, beta1 0.5 for both; images scaled to [-1, 1].
 *
 * After each epoch it writes the 8x8 sample grid of the FIXED noise to
 * `<out>/epoch-<n>.png` (and `latest.png`), prints the epoch's d_loss / g_loss /
 * D accuracies and the samples/s (real samples consumed per second), and saves a
 * checkpoint plus each network's PyTorch state_dict weights at the end.
 *
 *   node --import tsx examples/fashion-mnist-gan.ts [--epochs 5] [--minutes 0] [--samples 60000]
 *       [--batch 64] [--channels 64] [--seed 42] [--out .tmp/gan] [--epoch-samples 0]
 *
 * `--minutes` stops training after that wall time (the partial epoch still gets its grid);
 * `--epoch-samples N` makes each "epoch" a pass over N samples drawn from the set (more grids
 * on a slow machine); `--samples` limits the data set.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GanTrainer } from '../src/engine/index.ts';
import { encodePng } from '../src/shared/png.ts';
import { loadFashionMnist } from './fashion-mnist-data.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '5' },
    minutes: { type: 'string', default: '0' },
    samples: { type: 'string', default: '60000' },
    'epoch-samples': { type: 'string', default: '0' },
    batch: { type: 'string', default: '64' },
    channels: { type: 'string', default: '64' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: '.tmp/gan' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
  },
});

const C = Number(values.channels);
const latentDim = 100;
const { trainX } = loadFashionMnist(values.data);
const total = Math.min(Number(values.samples), trainX.shape[0]);
const pixels = trainX.data;
const real = new Float32Array(total * 784);
for (let i = 0; i < real.length; i++) real[i] = (pixels[i] / 255) * 2 - 1;

const gan = new GanTrainer({
  generator: {
    inputShape: [latentDim],
    layers: [
      { type: 'dense', units: 7 * 7 * C, useBias: false },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'relu' },
      { type: 'reshape', targetShape: [7, 7, C] },
      { type: 'conv2dTranspose', filters: C / 2, kernelSize: 4, strides: 2, padding: 'same', useBias: false },
      { type: 'batchNormalization' },
      { type: 'activation', activation: 'relu' },
      { type: 'conv2dTranspose', filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' },
    ],
  },
  discriminator: {
    inputShape: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: C / 2, kernelSize: 4, strides: 2, padding: 'same', activation: 'leakyRelu' },
      { type: 'conv2d', filters: C, kernelSize: 4, strides: 2, padding: 'same', activation: 'leakyRelu' },
      { type: 'flatten' },
      { type: 'dense', units: 1, activation: 'sigmoid' },
    ],
  },
  generatorOptimizer: { type: 'adam', learningRate: 2e-4, beta1: 0.5 },
  discriminatorOptimizer: { type: 'adam', learningRate: 2e-4, beta1: 0.5 },
  seed: Number(values.seed),
  fixedSamples: 64,
});
console.log(`generator ${gan.generator.paramCount} params, discriminator ${gan.discriminator.paramCount} params`);

mkdirSync(values.out, { recursive: true });
const writeGrid = (name: string): string => {
  const grid = gan.sampleGrid(null, 8, 8);
  const png = encodePng({ width: grid.width, height: grid.height, channels: grid.channels as 1, data: grid.data });
  const path = join(values.out, name);
  writeFileSync(path, png);
  writeFileSync(join(values.out, 'latest.png'), png);
  return path;
};
writeGrid('epoch-0.png');

const batchSize = Number(values.batch);
const epochs = Number(values.epochs);
const deadline = Number(values.minutes) > 0 ? Date.now() + Number(values.minutes) * 60_000 : Infinity;
const epochSamples = Number(values['epoch-samples']);
// With --epoch-samples each epoch sees a fresh random subset (a view over `real` is not enough: copy).
const subsetRng = { s: Number(values.seed) >>> 0 };
const nextSubset = (): Float32Array => {
  if (!(epochSamples > 0) || epochSamples >= total) return real;
  const out = new Float32Array(epochSamples * 784);
  for (let i = 0; i < epochSamples; i++) {
    subsetRng.s = (Math.imul(subsetRng.s, 1664525) + 1013904223) >>> 0;
    const j = subsetRng.s % total;
    out.set(real.subarray(j * 784, (j + 1) * 784), i * 784);
  }
  return out;
};

let stepsDone = 0;
let timeUp = false;
for (let epoch = 0; epoch < epochs && !timeUp; epoch++) {
  const data = nextSubset();
  const n = data.length / 784;
  const t0 = performance.now();
  stepsDone = 0;
  const history = await gan.fit({ data, shape: [n, 28, 28, 1] }, {
    epochs: gan.progress.epoch + 1,
    batchSize,
    callbacks: {
      onStepEnd: (step, logs) => {
        stepsDone++;
        if (step % 100 === 0) {
          console.log(`  step ${step}: d_loss ${logs.d_loss.toFixed(4)} g_loss ${logs.g_loss.toFixed(4)} d_acc_real ${logs.d_acc_real.toFixed(2)} d_acc_fake ${logs.d_acc_fake.toFixed(2)}`);
        }
        if (Date.now() > deadline) {
          timeUp = true;
          return true;
        }
        return undefined;
      },
    },
  });
  const secs = (performance.now() - t0) / 1000;
  const h = history.history;
  const at = (k: string): string => (h[k]?.[0] ?? Number.NaN).toFixed(4);
  const path = writeGrid(`epoch-${epoch + 1}.png`);
  console.log(
    `epoch ${epoch + 1}${timeUp ? ' (partial, time budget reached)' : ''}: d_loss ${at('d_loss')} g_loss ${at('g_loss')} ` +
    `d_acc_real ${at('d_acc_real')} d_acc_fake ${at('d_acc_fake')}; ${stepsDone} steps in ${secs.toFixed(1)} s, ` +
    `${((stepsDone * batchSize) / secs).toFixed(0)} samples/s; grid ${path}`,
  );
}
writeFileSync(join(values.out, 'checkpoint.safetensors'), gan.saveCheckpoint());
writeFileSync(join(values.out, 'generator.safetensors'), gan.saveGeneratorWeights());
writeFileSync(join(values.out, 'discriminator.safetensors'), gan.saveDiscriminatorWeights());
console.log(`wrote ${values.out}/checkpoint.safetensors, generator.safetensors, discriminator.safetensors`);
