/**
 * Shared by the Fashion-MNIST examples: reading the data set (the examples do
 * the I/O; the engine only sees bytes), and a fit callback that reports each
 * epoch's logs and speed.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { readIdx, type Callback, type IdxArray } from '../src/engine/index.ts';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface FashionMnist {
  trainX: IdxArray;
  trainY: IdxArray;
  testX: IdxArray;
  testY: IdxArray;
}

/** The classic Keras MLP the examples and `bench job` train: rescaling 1/255, flatten, dense 128 relu, dense 10 softmax. */
export const FASHION_MNIST_MLP = {
  inputShape: [28, 28],
  layers: [
    { type: 'rescaling', scale: 1 / 255 },
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

/** One of the gzipped IDX files, gunzipped (the bytes a data set upload stores). */
export function fashionMnistFile(name: string, dir: string = FASHION_MNIST_DIR): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(join(dir, name))));
}

/** The four gzipped IDX files (`apt-get install dataset-fashion-mnist`). */
export function loadFashionMnist(dir: string = FASHION_MNIST_DIR): FashionMnist {
  const load = (name: string) => readIdx(fashionMnistFile(name, dir));
  const data = {
    trainX: load('train-images-idx3-ubyte.gz'),
    trainY: load('train-labels-idx1-ubyte.gz'),
    testX: load('t10k-images-idx3-ubyte.gz'),
    testY: load('t10k-labels-idx1-ubyte.gz'),
  };
  console.log(`train ${data.trainX.shape.join('x')}, test ${data.testX.shape.join('x')}`);
  return data;
}

/** Logs each epoch (loss, accuracy, seconds, samples/s); `seconds()` is the time spent in epochs. */
export function epochReporter(epochs: number, samples: number): Callback & { seconds(): number } {
  let start = 0;
  let total = 0;
  return {
    onEpochBegin() {
      start = performance.now();
    },
    onEpochEnd(epoch, logs) {
      const s = (performance.now() - start) / 1000;
      total += s;
      console.log(`epoch ${epoch + 1}/${epochs}: loss ${logs.loss.toFixed(4)} accuracy ${(logs.accuracy ?? Number.NaN).toFixed(4)} (${s.toFixed(1)} s, ${Math.round(samples / s)} samples/s)`);
    },
    seconds: () => total,
  };
}
