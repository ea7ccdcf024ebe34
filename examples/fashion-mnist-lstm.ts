/**
 * An LSTM on Fashion-MNIST with Trainyard's engine alone: each 28x28 image is read as a
 * sequence of 28 rows of 28 pixels (input [28, 28] = [timesteps, features]):
 * rescaling 1/255 → lstm 64 (Keras defaults: tanh, sigmoid gates, orthogonal recurrent
 * weights, unitForgetBias) → dense 10 softmax; Adam with a cosine-decayed learning rate
 * (3e-3 → 0 over the run), sparse categorical cross-entropy, batch 64, 3 epochs. Prints
 * each epoch's logs, the test accuracy and the training speed in samples/s.
 *
 *   node --import tsx examples/fashion-mnist-lstm.ts [--epochs 3] [--kernels wasm|plain] [--batch 64] [--lr 0.003]
 *
 * The input projection of all 28 steps is one matrix multiply per batch and each step's
 * recurrent projection another, on the model's matmul kernels: `wasm` (default) is the
 * WebAssembly SIMD family, `plain` the TypeScript loops. Gradients flow through all 28
 * steps (no truncation).
 *
 * The data comes from `apt-get install dataset-fashion-mnist`; the script reads and
 * gunzips the IDX files (node:zlib) and the engine parses them (readIdx).
 */
import { parseArgs } from 'node:util';
import { Sequential, wasmKernels, PLAIN_KERNELS } from '../src/engine/index.ts';
import { epochReporter, loadFashionMnist } from './fashion-mnist-data.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.003' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    seed: { type: 'string', default: '42' },
    kernels: { type: 'string', default: 'wasm' },
  },
});


const { trainX, trainY, testX, testY } = loadFashionMnist(values.data);

const model = Sequential.fromSpec({
  inputShape: [28, 28],
  layers: [
    { type: 'rescaling', scale: 1 / 255 },
    { type: 'lstm', units: 64 },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
}, { seed: Number(values.seed), kernels: values.kernels === 'wasm' ? wasmKernels : PLAIN_KERNELS });
console.log(`kernels: ${values.kernels === 'wasm' ? 'WebAssembly SIMD' : 'plain TypeScript'}`);
const epochs = Number(values.epochs);
const batchSize = Number(values.batch);
const n = trainX.shape[0];
const decaySteps = epochs * Math.ceil(n / batchSize);
model.compile({
  optimizer: { type: 'adam', learningRate: { type: 'cosineDecay', initialLearningRate: Number(values.lr), decaySteps } },
  loss: 'sparse_categorical_crossentropy',
  metrics: ['accuracy'],
});
console.log(model.summary({ batchSize }).text);
const report = epochReporter(epochs, n);
await model.fit({ data: trainX.data, shape: trainX.shape }, { data: trainY.data, shape: trainY.shape }, { epochs, batchSize, callbacks: report });
const trainSeconds = report.seconds();
const test = model.evaluate({ data: testX.data, shape: testX.shape }, { data: testY.data, shape: testY.shape }, { batchSize: 256 });
console.log(`test loss ${test.loss.toFixed(4)}, test accuracy ${test.accuracy.toFixed(4)}`);
console.log(`training: ${(epochs * n / trainSeconds).toFixed(0)} samples/s over ${epochs} epochs (${trainSeconds.toFixed(1)} s, one thread, ${values.kernels} kernels, batch ${batchSize})`);
