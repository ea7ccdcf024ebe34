/**
 * The networks of issue 6's table in TensorFlow.js (tfjs-layers) on its WebAssembly backend
 * (XNNPACK SIMD, one thread in Node) and its plain JavaScript cpu backend, beside Trainyard,
 * in one run: training samples per second and the ratios. The MLP at the given batches; the
 * CNN and the LSTM at batch 64 (fewer steps: tfjs's cpu backend trains the CNN at a few
 * samples per second, and its wasm backend cannot train a conv2d at all: it has no
 * filter-gradient kernel, which the run reports). tfjs-node cannot be installed here (it
 * downloads libtensorflow), so those two backends are the JavaScript alternatives.
 * The MLP against the wasm backend (the ratio issue 6 sets a bar for) takes turns
 * (bench/turns.ts): `--rounds` rounds of a `--steps`-step tfjs turn and a Trainyard turn of
 * at least 200 steps; the cpu backend, ~100x behind, is timed once.
 *
 *   node --import tsx bench/tfjs.ts [--steps 40] [--rounds 6] [--batches 32,128] [--cpu-steps 20] [--models mlp,cnn,lstm]
 */
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { MLP_SPEC, mlpData } from './trainyard-mlp.ts';
import { trainyardTurns, versus, type Turns } from './turns.ts';
import { CNN_SPEC, LSTM_SPEC, trainyardRate } from './models.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '6' },
    'cpu-steps': { type: 'string', default: '20' },
    batches: { type: 'string', default: '32,128' },
    models: { type: 'string', default: 'mlp,cnn,lstm' },
  },
});
const models = new Set(values.models.split(','));
const steps = Number(values.steps);
const cpuSteps = Number(values['cpu-steps']);
const rounds = Number(values.rounds);
const batches = values.batches.split(',').map(Number);

const require = createRequire(import.meta.url);
setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));

/** The MLP in tfjs on `backend`, kept alive: each turn fits `nSteps` steps of `batch` rows (after a 5-step warm-up). */
async function tfjsTurns(backend: 'wasm' | 'cpu', nSteps: number, batch: number): Promise<Turns> {
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
  return {
    turn: async () => {
      const t = performance.now();
      await model.fit(xs, ys, { batchSize: batch, epochs: 1, verbose: 0, shuffle: false });
      return n / ((performance.now() - t) / 1000);
    },
    close: async () => {
      tf.dispose([xs, ys]);
      model.dispose();
    },
  };
}

/**
 * A Keras-equivalent of the CNN or the LSTM (recurrent weights glorot- rather than
 * orthogonally initialised: tfjs's orthogonal initialiser needs tensor methods that
 * tfjs-core alone does not register; the speed is the same) trained for `nSteps` steps of batch 64, or the error that stopped it. */
async function tfjsModel(kind: 'cnn' | 'lstm', backend: 'wasm' | 'cpu', nSteps: number): Promise<number | string> {
  await tf.setBackend(backend);
  await tf.ready();
  const batch = 64;
  const n = nSteps * batch;
  const { x, y } = mlpData(n);
  const model = kind === 'cnn'
    ? tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    })
    : tfl.sequential({ layers: [tfl.layers.lstm({ inputShape: [28, 28], units: 64, recurrentInitializer: 'glorotUniform' }), tfl.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'sparseCategoricalCrossentropy' });
  const xs = kind === 'cnn' ? tf.tensor4d(x, [n, 28, 28, 1]) : tf.tensor3d(x, [n, 28, 28]);
  const ys = tf.tensor2d(y, [n, 1]);
  try {
    await model.fit(tf.slice(xs, 0, batch), tf.slice(ys, 0, batch), { batchSize: batch, epochs: 1, verbose: 0, shuffle: false });
    const t = performance.now();
    await model.fit(xs, ys, { batchSize: batch, epochs: 1, verbose: 0, shuffle: false });
    return n / ((performance.now() - t) / 1000);
  } catch (e) {
    return `cannot train (${(e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 100)})`;
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

const fmt = (v: number): string => `${v.toFixed(0).padStart(6)} samples/s`;
const ratio = (ours: number, theirs: number | string): string => (typeof theirs === 'number' ? `${fmt(theirs)} (x${(ours / theirs).toFixed(ours / theirs >= 100 ? 0 : 1)})` : theirs);
if (models.has('mlp')) console.log(`MLP 784-128-10, Adam, one thread: Trainyard vs TensorFlow.js ${tf.version_core} (wasm: ${rounds} rounds of ${steps}-step turns, alternating; cpu ${cpuSteps} steps once)`);
for (const b of models.has('mlp') ? batches : []) {
  // Trainyard's turn is not shortened to tfjs's step count: 200 steps at batch 32 take ~0.1 s.
  const ours = await trainyardTurns(MLP_SPEC, Math.max(steps, 200), b);
  const wasm = await tfjsTurns('wasm', steps, b);
  const v = await versus(ours, wasm, rounds);
  await ours.close();
  const cpuTurns = await tfjsTurns('cpu', cpuSteps, b);
  const cpu = await cpuTurns.turn();
  await cpuTurns.close();
  console.log(`batch ${String(b).padStart(4)}: trainyard ${fmt(v.ours)} | tfjs wasm ${fmt(v.theirs ?? NaN)} (${v.summary}) | tfjs cpu ${fmt(cpu)} (x${(v.ours / cpu).toFixed(0)})`);
}
for (const kind of ['cnn', 'lstm'] as const) {
  if (!models.has(kind)) continue;
  const ours = await trainyardRate(kind === 'cnn' ? CNN_SPEC : LSTM_SPEC, 60, 64);
  const wasm = await tfjsModel(kind, 'wasm', kind === 'cnn' ? 2 : 10);
  const cpu = await tfjsModel(kind, 'cpu', kind === 'cnn' ? 2 : 3);
  const name = kind === 'cnn' ? 'CNN conv16-pool-conv32-pool-dense10' : 'LSTM 28x28, hidden 64, dense 10  ';
  console.log(`${name}, batch 64: trainyard ${fmt(ours)} | tfjs wasm ${ratio(ours, wasm)} | tfjs cpu ${ratio(ours, cpu)}`);
}
