/**
 * The classic Keras example, with Trainyard's engine alone: Fashion-MNIST,
 * rescaling 1/255 → flatten → dense 128 relu → dense 10 softmax, Adam (lr 0.001),
 * sparse categorical cross-entropy, batch 32, 5 epochs. Prints each epoch's
 * logs, the test accuracy and the training speed in samples/s.
 *
 *   node --import tsx examples/fashion-mnist-mlp.ts [--epochs 5] [--kernels plain|wasm] [--data /usr/share/datasets/fashion-mnist]
 *
 * The layers' matrix multiplies run on the WebAssembly SIMD kernels (src/engine/kernels/wasm,
 * the engine's default); `--kernels plain` uses the reference TypeScript loops.
 *
 * The data comes from `apt-get install dataset-fashion-mnist`. The script does
 * the I/O (read + gunzip with node:zlib); the engine only sees bytes.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Sequential, readIdx, PLAIN_KERNELS } from '../src/engine/index.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '5' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    seed: { type: 'string', default: '42' },
    kernels: { type: 'string', default: 'wasm' },
  },
});

function load(name: string): ReturnType<typeof readIdx> {
  return readIdx(new Uint8Array(gunzipSync(readFileSync(join(values.data, name)))));
}

const trainX = load('train-images-idx3-ubyte.gz');
const trainY = load('train-labels-idx1-ubyte.gz');
const testX = load('t10k-images-idx3-ubyte.gz');
const testY = load('t10k-labels-idx1-ubyte.gz');
console.log(`train ${trainX.shape.join('x')}, test ${testX.shape.join('x')}`);

const model = Sequential.fromSpec({
  inputShape: [28, 28],
  layers: [
    { type: 'rescaling', scale: 1 / 255 },
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
}, { seed: Number(values.seed), ...(values.kernels === 'plain' ? { kernels: PLAIN_KERNELS } : {}) });
console.log(`kernels: ${values.kernels === 'wasm' ? 'WebAssembly SIMD' : 'plain TypeScript'}`);
model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
console.log(model.summary().text);

const epochs = Number(values.epochs);
const n = trainX.shape[0];
let epochStart = 0;
const t0 = performance.now();
await model.fit(
  { data: trainX.data, shape: trainX.shape },
  { data: trainY.data, shape: trainY.shape },
  {
    epochs,
    batchSize: 32,
    callbacks: {
      onEpochBegin: () => { epochStart = performance.now(); },
      onEpochEnd: (epoch, logs) => {
        const s = (performance.now() - epochStart) / 1000;
        console.log(`epoch ${epoch + 1}/${epochs}: loss ${logs.loss.toFixed(4)} accuracy ${logs.accuracy.toFixed(4)} (${s.toFixed(1)} s, ${Math.round(n / s)} samples/s)`);
      },
    },
  },
);
const seconds = (performance.now() - t0) / 1000;
const test = model.evaluate({ data: testX.data, shape: testX.shape }, { data: testY.data, shape: testY.shape }, { batchSize: 256 });
console.log(`test loss ${test.loss.toFixed(4)}, test accuracy ${test.accuracy.toFixed(4)}`);
console.log(`training: ${(epochs * n / seconds).toFixed(0)} samples/s over ${epochs} epochs (${seconds.toFixed(1)} s, one thread, ${values.kernels} kernels)`);
