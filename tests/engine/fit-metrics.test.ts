/**
 * Metrics in fit / evaluate (the metric classes themselves are src/engine/metrics/, tested there):
 * accuracy resolved by the loss like Keras, every compiled metric logged, val_ prefixed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';

const f = (a: number[]): Float32Array => Float32Array.from(a);

test('accuracy resolves by the loss: sparse, categorical, binary', () => {
  const spec = { inputShape: [2], layers: [{ type: 'dense', units: 3, activation: 'softmax' }] };
  const kinds: Record<string, string> = {
    sparseCategoricalCrossentropy: 'sparse_categorical_accuracy',
    categoricalCrossentropy: 'categorical_accuracy',
    mse: 'categorical_accuracy',
  };
  for (const [loss, kind] of Object.entries(kinds)) {
    const m = Sequential.fromSpec(spec, { seed: 1 });
    m.compile({ optimizer: 'sgd', loss, metrics: ['accuracy'] });
    assert.equal(m.createMetrics()[0].kind, kind, loss);
    assert.equal(m.createMetrics()[0].name, 'accuracy');
  }
  const b = Sequential.fromSpec({ inputShape: [2], layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }] }, { seed: 1 });
  b.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['acc'] });
  assert.equal(b.createMetrics()[0].kind, 'binary_accuracy');
});

test('fit logs every compiled metric, val_ prefixed; evaluate agrees', async () => {
  const m = Sequential.fromSpec({ inputShape: [2], layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }] }, { seed: 1 });
  m.compile({ optimizer: { type: 'sgd', learningRate: 0.5 }, loss: 'binary_crossentropy', metrics: ['accuracy', 'precision', 'recall', 'auc', 'mse'] });
  const x = f([1, 1, 2, 2, -1, -1, -2, -2, 1.5, 1, -1.5, -1]);
  const y = f([1, 1, 0, 0, 1, 0]);
  const h = await m.fit({ data: x, shape: [6, 2] }, { data: y, shape: [6, 1] }, { epochs: 20, batchSize: 2, validationSplit: 0.34 });
  assert.deepEqual(Object.keys(h.history).sort(), ['accuracy', 'auc', 'loss', 'mse', 'precision', 'recall', 'val_accuracy', 'val_auc', 'val_loss', 'val_mse', 'val_precision', 'val_recall']);
  assert.equal(h.history.accuracy[19], 1);
  assert.equal(h.history.val_accuracy[19], 1);
  // floor(6 · (1 - 0.34)) = 3: the last 3 samples validate.
  const ev = m.evaluate({ data: x.subarray(6), shape: [3, 2] }, { data: y.subarray(3), shape: [3, 1] });
  assert.equal(ev.loss, h.history.val_loss[19]);
  assert.equal(ev.auc, h.history.val_auc[19]);
});

test('compile rejects an unknown metric with its index', () => {
  const m = Sequential.fromSpec({ inputShape: [2], layers: [{ type: 'dense', units: 1 }] }, { seed: 1 });
  assert.throws(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae', 'f1'] }), /metrics\[1\]: unknown metric "f1"/);
});
