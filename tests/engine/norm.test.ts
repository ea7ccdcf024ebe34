/** batchNormalization and layerNormalization: Keras semantics, buffers, finite differences. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { validateSpec } from '../../src/engine/model/validateSpec.ts';
import { summarizeSpec } from '../../src/engine/model/summarizeSpec.ts';
import { SpecError } from '../../src/engine/errors.ts';
import { decodeSafetensors } from '../../src/engine/io/safetensors.ts';
import { gradCheckSpec, randn } from './convGradCheck.ts';

test('batchNormalization: PyTorch names, buffers, Keras defaults, summary counts', () => {
  const m = Sequential.fromSpec({ inputShape: [4, 4, 3], layers: [{ type: 'batchNormalization' }] }, { seed: 1 });
  assert.deepEqual(m.params.map((p) => p.name), ['layers.0.weight', 'layers.0.bias']);
  assert.deepEqual(m.buffers.map((b) => [b.name, b.shape]), [['layers.0.running_mean', [3]], ['layers.0.running_var', [3]], ['layers.0.num_batches_tracked', []]]);
  assert.deepEqual(Array.from(m.params[0].value), [1, 1, 1]);
  assert.deepEqual(Array.from(m.buffers[1].value), [1, 1, 1]);
  const cfg = validateSpec({ inputShape: [3], layers: [{ type: 'BatchNormalization' }] }).spec.layers[0] as unknown as Record<string, unknown>;
  assert.equal(cfg.momentum, 0.99);
  assert.equal(cfg.epsilon, 1e-3);
  const s = summarizeSpec({ inputShape: [4, 4, 3], layers: [{ type: 'batchNormalization' }] });
  assert.equal(s.trainableParams, 6);
  assert.equal(s.nonTrainableParams, 7);
  const files = decodeSafetensors(m.saveWeights()).tensors;
  assert.deepEqual(files['layers.0.num_batches_tracked'].shape, []);
  assert.throws(() => validateSpec({ inputShape: [3], layers: [{ type: 'batchNormalization', axis: 1 }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].axis');
  assert.throws(() => validateSpec({ inputShape: [3], layers: [{ type: 'batchNormalization', momentum: 2 }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].momentum');
});

test('batchNormalization training: batch statistics (biased variance), Keras moving-average update; inference uses the moving statistics', () => {
  const m = Sequential.fromSpec({ inputShape: [2], layers: [{ type: 'batchNormalization', momentum: 0.9, epsilon: 1e-12 }] }, { seed: 1 });
  const x = Float32Array.from([1, 10, 3, 20]); // channel 0: 1, 3 (mean 2, var 1); channel 1: 10, 20 (mean 15, var 25)
  const y = m.forward(x, 2, true);
  assert.deepEqual(Array.from(y), [-1, -1, 1, 1]);
  const [mean, variance, count] = m.buffers;
  assert.ok(Math.abs(mean.value[0] - 0.2) < 1e-6 && Math.abs(mean.value[1] - 1.5) < 1e-6);
  assert.ok(Math.abs(variance.value[0] - (0.9 + 0.1 * 1)) < 1e-6 && Math.abs(variance.value[1] - (0.9 + 2.5)) < 1e-6);
  assert.equal(count.value[0], 1);
  const yi = Array.from(m.forward(x, 2, false));
  const expect = [(1 - 0.2) / 1, (10 - 1.5) / Math.sqrt(3.4), (3 - 0.2) / 1, (20 - 1.5) / Math.sqrt(3.4)];
  yi.forEach((v, i) => assert.ok(Math.abs(v - expect[i]) < 1e-5, `${i}: ${v} vs ${expect[i]}`));
  assert.equal(count.value[0], 1, 'inference does not count batches');
});

test('batchNormalization: moving statistics are saved and restored with the weights', () => {
  const spec = { inputShape: [3, 3, 2], layers: [{ type: 'conv2d', filters: 2, kernelSize: 2 }, { type: 'batchNormalization' }] };
  const a = Sequential.fromSpec(spec, { seed: 1 });
  a.forward(randn(1, 36), 2, true);
  const b = Sequential.fromSpec(spec, { seed: 2 });
  b.loadWeights(a.saveWeights());
  assert.deepEqual(Array.from(b.buffers[0].value), Array.from(a.buffers[0].value));
  assert.deepEqual(Array.from(b.buffers[1].value), Array.from(a.buffers[1].value));
  assert.equal(b.buffers[2].value[0], 1);
});

const bnCases: [string, object, number[], boolean][] = [
  ['training, dense input', {}, [5], true],
  ['training, image input', {}, [3, 3, 2], true],
  ['inference, image input', { movingMeanInitializer: { type: 'constant', value: 0.3 }, movingVarianceInitializer: { type: 'constant', value: 2 } }, [3, 3, 2], false],
  ['training, center false', { center: false }, [3, 2], true],
  ['training, scale false', { scale: false, gammaInitializer: 'ones' }, [3, 2], true],
];
for (const [name, extra, inputShape, training] of bnCases) {
  test(`batchNormalization ${name}: finite differences (gamma, beta, input)`, () => {
    gradCheckSpec({ inputShape, layers: [
      { type: 'batchNormalization', gammaInitializer: { type: 'randomUniform', minval: 0.5, maxval: 1.5 }, betaInitializer: { type: 'randomNormal', stddev: 0.5 }, ...extra },
      { type: 'flatten' }, { type: 'dense', units: 2, activation: 'tanh' },
    ] }, 4, { training });
  });
}

test('layerNormalization: normalises each row; finite differences', () => {
  const m = Sequential.fromSpec({ inputShape: [2, 3], layers: [{ type: 'layerNormalization', epsilon: 1e-12 }] });
  const y = m.forward(Float32Array.from([1, 2, 3, 10, 10, 40]), 1, true);
  const s = Math.sqrt(2 / 3);
  const expect = [-1 / s, 0, 1 / s, -10 / Math.sqrt(200), -10 / Math.sqrt(200), 20 / Math.sqrt(200)];
  Array.from(y).forEach((v, i) => assert.ok(Math.abs(v - expect[i]) < 1e-5, `${i}: ${v} vs ${expect[i]}`));
  for (const extra of [{}, { center: false }, { scale: false }]) {
    gradCheckSpec({ inputShape: [2, 4], layers: [
      { type: 'layerNormalization', gammaInitializer: { type: 'randomUniform', minval: 0.5, maxval: 1.5 }, ...extra },
      { type: 'flatten' }, { type: 'dense', units: 2, activation: 'tanh' },
    ] }, 3);
  }
});
