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
import { parseArgs } from 'node:util';
import { Sequential, PLAIN_KERNELS } from '../src/engine/index.ts';
import { FASHION_MNIST_MLP, epochReporter, loadFashionMnist } from './fashion-mnist-data.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '5' },
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    seed: { type: 'string', default: '42' },
    kernels: { type: 'string', default: 'wasm' },
  },
});

const { trainX, trainY, testX, testY } = loadFashionMnist(values.data);

const model = Sequential.fromSpec(FASHION_MNIST_MLP, { seed: Number(values.seed), ...(values.kernels === 'plain' ? { kernels: PLAIN_KERNELS } : {}) });
console.log(`kernels: ${values.kernels === 'wasm' ? 'WebAssembly SIMD' : 'plain TypeScript'}`);
model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
console.log(model.summary().text);

const epochs = Number(values.epochs);
const n = trainX.shape[0];
const report = epochReporter(epochs, n);
await model.fit({ data: trainX.data, shape: trainX.shape }, { data: trainY.data, shape: trainY.shape }, { epochs, batchSize: 32, callbacks: report });
const seconds = report.seconds();
const test = model.evaluate({ data: testX.data, shape: testX.shape }, { data: testY.data, shape: testY.shape }, { batchSize: 256 });
console.log(`test loss ${test.loss.toFixed(4)}, test accuracy ${test.accuracy.toFixed(4)}`);
console.log(`training: ${(epochs * n / seconds).toFixed(0)} samples/s over ${epochs} epochs (${seconds.toFixed(1)} s, one thread, ${values.kernels} kernels)`);
