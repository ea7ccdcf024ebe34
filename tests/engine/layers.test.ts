/**
 * Finite-difference gradient checks of every layer, through the model's forward and a loss,
 * plus dropout's behaviour and the initialisers' statistics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { Rng } from '../../src/engine/rng.ts';
import { fans, initialize, parseInitializer, TRUNCATED_NORMAL_STDDEV } from '../../src/engine/init/initializers.ts';
import { LAYER_ACTIVATIONS } from '../../src/engine/layers/index.ts';
import { checkGradients } from './helpers/modelHelpers.ts';

function data(seed: number, n: number, size: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n * size }, () => r.normal() * scale);
}

function gradCheck(spec: object, loss: string, y: Float32Array, batch: number, inSize: number, training = true): void {
  const model = Sequential.fromSpec(spec, { seed: 11 });
  model.compile({ optimizer: 'sgd', loss });
  const checked = checkGradients(model, data(5, batch, inSize), y, batch, { training });
  assert.ok(checked > 0);
}

for (const act of LAYER_ACTIVATIONS) {
  test(`dense (${act}): finite differences match the analytic gradient`, () => {
    gradCheck({ inputShape: [5], layers: [{ type: 'dense', units: 4, activation: act }, { type: 'dense', units: 3 }] },
      'mse', data(9, 4, 3), 4, 5);
  });
  test(`activation layer (${act}): finite differences`, () => {
    gradCheck({ inputShape: [5], layers: [{ type: 'dense', units: 4 }, { type: 'activation', activation: act }, { type: 'dense', units: 2 }] },
      'mse', data(9, 3, 2), 3, 5);
  });
}

test('dense without bias, with regularizers: finite differences', () => {
  gradCheck({ inputShape: [6], layers: [
    { type: 'dense', units: 4, activation: 'tanh', kernelRegularizer: { type: 'l1l2', l1: 0.01, l2: 0.02 }, biasRegularizer: 'l2' },
    { type: 'dense', units: 2, useBias: false, kernelRegularizer: 'l1' },
  ] }, 'mae', data(3, 3, 2), 3, 6);
});

test('rescaling, reshape (-1), flatten: finite differences through them', () => {
  gradCheck({ inputShape: [6], layers: [
    { type: 'dense', units: 6 }, { type: 'rescaling', scale: 0.3, offset: -0.2 },
    { type: 'reshape', targetShape: [3, -1] }, { type: 'activation', activation: 'softmax' },
    { type: 'flatten' }, { type: 'dense', units: 2, activation: 'sigmoid' },
  ] }, 'binaryCrossentropy', Float32Array.from([1, 0, 0, 1, 1, 1]), 3, 6);
});

test('rank-2 input: reshape then flatten then dense', () => {
  gradCheck({ inputShape: [2, 3], layers: [{ type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }] },
    'sparseCategoricalCrossentropy', Float32Array.from([0, 2, 1, 2]), 4, 6);
});

test('dropout (training, fixed mask): finite differences', () => {
  gradCheck({ inputShape: [5], layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dropout', rate: 0.4 }, { type: 'dense', units: 3, activation: 'softmax' }] },
    'categoricalCrossentropy', Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0]), 4, 5);
});

test('losses without fusion (softmax + mse, sigmoid + mse, probabilities + crossentropy): finite differences', () => {
  gradCheck({ inputShape: [4], layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, 'mse', data(1, 3, 3), 3, 4);
  gradCheck({ inputShape: [4], layers: [{ type: 'dense', units: 3, activation: 'softplus' }, { type: 'activation', activation: 'softmax' }, { type: 'activation', activation: 'linear' }] },
    'sparseCategoricalCrossentropy', Float32Array.from([0, 1, 2]), 3, 4);
  gradCheck({ inputShape: [4], layers: [{ type: 'dense', units: 3, activation: 'softmax' }, { type: 'activation', activation: 'linear' }] },
    'categoricalCrossentropy', Float32Array.from([1, 0, 0, 0, 0, 1, 0, 1, 0]), 3, 4);
  gradCheck({ inputShape: [4], layers: [{ type: 'dense', units: 2, activation: 'sigmoid' }, { type: 'activation', activation: 'linear' }] },
    'binaryCrossentropy', Float32Array.from([1, 0, 0, 0, 1, 1]), 3, 4);
});

test('dropout: inverted scaling in training, identity at inference, seeded masks', () => {
  const spec = { inputShape: [1000], layers: [{ type: 'dropout', rate: 0.3 }] };
  const x = new Float32Array(2000).fill(1);
  const a = Sequential.fromSpec(spec, { seed: 5 });
  const ya = Float32Array.from(a.forward(x, 2, true));
  const zeros = ya.filter((v) => v === 0).length;
  assert.ok(zeros > 500 && zeros < 700, `dropped ${zeros} of 2000`);
  for (const v of ya) assert.ok(v === 0 || Math.abs(v - 1 / 0.7) < 1e-6);
  assert.deepEqual(Array.from(a.forward(x, 2, false)), Array.from(x));
  const b = Sequential.fromSpec(spec, { seed: 5 });
  assert.deepEqual(Array.from(b.forward(x, 2, true)), Array.from(ya));
});

test('initializers: fans use the PyTorch [out, in, ...] layout', () => {
  assert.deepEqual(fans([128, 784]), { fanIn: 784, fanOut: 128 });
  assert.deepEqual(fans([16, 3, 3, 3]), { fanIn: 27, fanOut: 144 });
  assert.deepEqual(fans([10]), { fanIn: 10, fanOut: 10 });
});

function stats(a: Float32Array): { mean: number; std: number; max: number } {
  let s = 0;
  let s2 = 0;
  let max = 0;
  for (const v of a) { s += v; s2 += v * v; max = Math.max(max, Math.abs(v)); }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(s2 / a.length - mean * mean), max };
}

test('initializers: Keras limits and variances', () => {
  const ctx = { path: 'layers[0]', layerIndex: 0 };
  const shape = [200, 300];
  const w = new Float32Array(60000);
  const rng = new Rng(1);
  initialize(parseInitializer('glorot_uniform', ctx, 'k'), w, shape, rng);
  assert.ok(stats(w).max <= Math.sqrt(6 / 500));
  assert.ok(Math.abs(stats(w).std - Math.sqrt(2 / 500)) < 0.002);
  initialize(parseInitializer('GlorotNormal', ctx, 'k'), w, shape, rng);
  // Truncated at 2 stddev of the scaled normal; the result has variance 2/(fanIn+fanOut).
  assert.ok(stats(w).max <= 2 * Math.sqrt(2 / 500) / TRUNCATED_NORMAL_STDDEV + 1e-6);
  assert.ok(Math.abs(stats(w).std - Math.sqrt(2 / 500)) < 0.002, `std ${stats(w).std}`);
  initialize(parseInitializer('heNormal', ctx, 'k'), w, shape, rng);
  assert.ok(Math.abs(stats(w).std - Math.sqrt(2 / 300)) < 0.003);
  initialize(parseInitializer('he_uniform', ctx, 'k'), w, shape, rng);
  assert.ok(stats(w).max <= Math.sqrt(6 / 300));
  initialize(parseInitializer('lecun_normal', ctx, 'k'), w, shape, rng);
  assert.ok(Math.abs(stats(w).std - Math.sqrt(1 / 300)) < 0.002);
  initialize(parseInitializer({ type: 'randomNormal', stddev: 0.1 }, ctx, 'k'), w, shape, rng);
  assert.ok(Math.abs(stats(w).std - 0.1) < 0.003 && Math.abs(stats(w).mean) < 0.003);
  initialize(parseInitializer('randomUniform', ctx, 'k'), w, shape, rng);
  assert.ok(stats(w).max <= 0.05);
  initialize(parseInitializer('ones', ctx, 'k'), w, shape, rng);
  assert.equal(stats(w).mean, 1);
  initialize(parseInitializer('zeros', ctx, 'k'), w, shape, rng);
  assert.equal(stats(w).max, 0);
});

test('initializer and regularizer config errors name the field', () => {
  const bad = (layer: object, msg: RegExp): void => {
    assert.throws(() => Sequential.fromSpec({ inputShape: [3], layers: [layer] }), msg);
  };
  bad({ type: 'dense', units: 2, kernelInitializer: 'glorot' }, /layers\[0\]\.kernelInitializer: unknown initializer "glorot"; valid: glorotUniform/);
  bad({ type: 'dense', units: 2, kernelInitializer: { type: 'randomNormal', stdev: 1 } }, /layers\[0\]\.kernelInitializer\.stdev: unknown field/);
  bad({ type: 'dense', units: 2, kernelRegularizer: { type: 'l2', l2: -1 } }, /layers\[0\]\.kernelRegularizer\.l2: must be >= 0, got -1/);
  bad({ type: 'dense', units: 2, biasRegularizer: 'l3' }, /layers\[0\]\.biasRegularizer: unknown regularizer "l3"; valid: l1, l2, l1l2/);
});

test('a model initialises weights from its seed (glorotUniform kernel, zero bias)', () => {
  const m = Sequential.fromSpec({ inputShape: [784], layers: [{ type: 'dense', units: 128 }] }, { seed: 1 });
  const [w, b] = m.params;
  assert.equal(w.name, 'layers.0.weight');
  assert.deepEqual(w.shape, [128, 784]);
  assert.ok(w.value.buffer instanceof SharedArrayBuffer);
  assert.ok(w.grad.buffer instanceof SharedArrayBuffer);
  assert.ok(stats(w.value).max <= Math.sqrt(6 / (784 + 128)));
  assert.equal(stats(b.value).max, 0);
});
