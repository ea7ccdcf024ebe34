/**
 * What the short random-data benches miss: a model of the other benches after 1,000 steps of
 * training, on Fashion-MNIST (pixels scaled to [0, 1]) and on the random data, against a
 * fresh model's rate (built anew each turn, timed after 50 steps), in alternating turns: the
 * MLP, then the CNN and the LSTM (fewer turns and steps: their steps are 10-20x longer).
 * Long training leaves some weights with zero gradients (always-black pixels, dead ReLU
 * units), and their Adam moments decay toward subnormal floats, which Intel cores compute on
 * slowly; the optimizers flush them (src/engine/optim/subnormal.ts). Without the flush, on an
 * Intel Xeon after 1,000 steps: Fashion-MNIST 25-27k samples/s and random data 7-8k, against
 * 45-49k for both with it. Settled/fresh near x1 is the expected reading.
 *
 *   node --import tsx bench/realdata.ts [--models mlp,cnn,lstm] [--batch 32] [--turns 10] [--steps 100] [--data /usr/share/datasets/fashion-mnist]
 *
 * Skips, saying so, when Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Sequential } from '../src/engine/index.ts';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../examples/fashion-mnist-data.ts';
import { MLP_SPEC, mlpData } from './trainyard-mlp.ts';
import { CNN_SPEC, LSTM_SPEC } from './models.ts';
import { median, ratioSpread } from './stats.ts';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    turns: { type: 'string', default: '10' },
    steps: { type: 'string', default: '100' },
    data: { type: 'string', default: FASHION_MNIST_DIR },
    models: { type: 'string', default: 'mlp,cnn,lstm' },
  },
});
const batch = Number(values.batch);
const turns = Number(values.turns);
const steps = Number(values.steps);
const WARM_STEPS = 1000;

if (!existsSync(join(values.data, 'train-images-idx3-ubyte.gz'))) {
  console.log(`Fashion-MNIST not found at ${values.data} (apt-get install dataset-fashion-mnist): skipped`);
  process.exit(0);
}
const { trainX, trainY } = loadFashionMnist(values.data);
const count = trainX.shape[0];
const real = { x: Float32Array.from(trainX.data, (p) => p / 255), y: Float32Array.from(trainY.data) };
const random = mlpData(count);
const fmt = (v: number[]): string => `${median(v).toFixed(0).padStart(6)} samples/s`;

const MODELS: Record<string, { name: string; spec: { inputShape: number[] }; settle: number; turns: number; steps: number }> = {
  mlp: { name: 'MLP 784-128-10', spec: MLP_SPEC, settle: WARM_STEPS, turns, steps },
  cnn: { name: 'CNN (bench/cnn.ts)', spec: CNN_SPEC, settle: WARM_STEPS, turns: Math.max(3, Math.floor(turns / 2)), steps: Math.max(10, Math.floor(steps / 5)) },
  lstm: { name: 'LSTM (bench/lstm.ts)', spec: LSTM_SPEC, settle: WARM_STEPS, turns: Math.max(3, Math.floor(turns / 2)), steps: Math.max(10, Math.floor(steps / 5)) },
};

/** A model of `spec` training on `data` in turns of `n` steps, moving through the data set; samples per second of each turn. */
function trainer(spec: { inputShape: number[] }, data: { x: Float32Array; y: Float32Array }): (n: number) => Promise<number> {
  const model = Sequential.fromSpec(spec, { seed: 0 });
  model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  let at = 0;
  return async (n: number): Promise<number> => {
    const rows = n * batch;
    if (at + rows > count) at = 0;
    const x = { data: data.x.subarray(at * 784, (at + rows) * 784), shape: [rows, ...spec.inputShape] };
    const y = { data: data.y.subarray(at, at + rows), shape: [rows] };
    at += rows;
    const t = performance.now();
    await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false });
    return rows / ((performance.now() - t) / 1000);
  };
}

for (const key of values.models.split(',')) {
  const m = MODELS[key];
  if (!m) throw new Error(`unknown model ${key}; choose from ${Object.keys(MODELS).join(', ')}`);
  const onReal = trainer(m.spec, real);
  const onRandom = trainer(m.spec, random);
  await onReal(m.settle);
  await onRandom(m.settle);
  const rates = { real: [] as number[], random: [] as number[], fresh: [] as number[] };
  const ratios = { real: [] as number[], random: [] as number[] };
  for (let k = 0; k < m.turns; k++) {
    // A new model on random data: m.steps steps timed after 50 untimed ones.
    const fresh = trainer(m.spec, random);
    await fresh(50);
    const f = await fresh(m.steps);
    const r = await onReal(m.steps);
    const q = await onRandom(m.steps);
    rates.fresh.push(f);
    rates.real.push(r);
    rates.random.push(q);
    ratios.real.push(r / f);
    ratios.random.push(q / f);
  }
  console.log(`${m.name}, Adam, batch ${batch}: trained ${m.settle} steps against a fresh model, ${m.turns} turns of ${m.steps} steps, alternating`);
  console.log(`  fresh (random data) ${fmt(rates.fresh)} | settled on Fashion-MNIST ${fmt(rates.real)}, per turn ${ratioSpread(ratios.real)}`);
  console.log(`  ${' '.repeat(29)}| settled on random data  ${fmt(rates.random)}, per turn ${ratioSpread(ratios.random)}`);
}
