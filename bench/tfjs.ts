/**
 * The same MLP in TensorFlow.js (tfjs-layers) on its WebAssembly backend (XNNPACK SIMD,
 * one thread in Node) and its plain JavaScript cpu backend, beside Trainyard, in one run:
 * training samples per second and the ratio. tfjs-node cannot be installed here (it
 * downloads libtensorflow), so those two backends are the JavaScript alternatives.
 *
 *   node --import tsx bench/tfjs.ts [--steps 200] [--batches 32,128] [--cpu-steps 20]
 */
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { mlpData, trainyardMlp } from './trainyard-mlp.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '200' },
    'cpu-steps': { type: 'string', default: '20' },
    batches: { type: 'string', default: '32,128' },
  },
});
const steps = Number(values.steps);
const cpuSteps = Number(values['cpu-steps']);
const batches = values.batches.split(',').map(Number);

const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));

async function tfjs(backend: 'wasm' | 'cpu', nSteps: number, batch: number): Promise<number> {
  await tf.setBackend(backend);
  await tf.ready();
  const n = nSteps * batch;
  const { x, y } = mlpData(n);
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }), tfl.layers.dense({ units: 10, activation: 'softmax' })],
  });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'sparseCategoricalCrossentropy' });
  const xs = tf.tensor2d(x, [n, 784]);
  const ys = tf.tensor2d(y, [n, 1]);
  const warm = Math.min(5, nSteps) * batch;
  await model.fit(tf.slice(xs, [0, 0], [warm, 784]), tf.slice(ys, [0, 0], [warm, 1]), { batchSize: batch, epochs: 1, verbose: 0, shuffle: false });
  const t = performance.now();
  await model.fit(xs, ys, { batchSize: batch, epochs: 1, verbose: 0, shuffle: false });
  const rate = n / ((performance.now() - t) / 1000);
  tf.dispose([xs, ys]);
  model.dispose();
  return rate;
}

console.log(`MLP 784-128-10, Adam, one thread: Trainyard vs TensorFlow.js ${tf.version_core} (wasm ${steps} steps, cpu ${cpuSteps} steps)`);
const fmt = (v: number): string => `${v.toFixed(0).padStart(6)} samples/s`;
for (const b of batches) {
  const ours = await trainyardMlp(steps, b);
  const wasm = await tfjs('wasm', steps, b);
  const cpu = await tfjs('cpu', cpuSteps, b);
  console.log(`batch ${String(b).padStart(4)}: trainyard ${fmt(ours)} | tfjs wasm ${fmt(wasm)} (x${(ours / wasm).toFixed(1)}) | tfjs cpu ${fmt(cpu)} (x${(ours / cpu).toFixed(0)})`);
}
