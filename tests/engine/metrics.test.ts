import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Auc, BinaryAccuracy, CategoricalAccuracy, MeanAbsoluteError, MeanSquaredError, Precision, Recall, SparseCategoricalAccuracy,
  auc, binaryAccuracy, categoricalAccuracy, meanAbsoluteError, meanSquaredError, precision, recall, resolveMetric,
  sparseCategoricalAccuracy,
} from '../../src/engine/metrics/index.ts';
import type { Metric } from '../../src/engine/metrics/index.ts';
import { DataShapeError, SpecError } from '../../src/engine/errors.ts';
import { Rng } from '../../src/engine/rng.ts';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);

test('binary accuracy thresholds at 0.5 (strictly greater) over every element', () => {
  assert.equal(binaryAccuracy(f32(1, 0, 1, 0), f32(0.9, 0.5, 0.5, 0.1), 4), 0.5 + 0.25);
  assert.equal(binaryAccuracy(f32(1, 0), f32(0.2, -3), 2, 0), 1, 'threshold 0 for logits');
  // Two outputs per sample: mean over all four elements.
  assert.equal(binaryAccuracy(f32(1, 1, 0, 0), f32(0.7, 0.2, 0.1, 0.9), 2), 0.5);
});

test('categorical and sparse categorical accuracy use the first maximum', () => {
  const pred = f32(0.1, 0.7, 0.2, 0.5, 0.5, 0, 0.3, 0.3, 0.4);
  assert.equal(categoricalAccuracy(f32(0, 1, 0, 0, 1, 0, 0, 0, 1), pred, 3), 2 / 3);
  assert.equal(sparseCategoricalAccuracy(Int32Array.of(1, 0, 2), pred, 3), 1);
  assert.equal(sparseCategoricalAccuracy(f32(1, 1, 1), pred, 3), 1 / 3);
});

test('precision and recall: binary, and the multi-class micro-average over elements', () => {
  const yt = f32(1, 1, 0, 0, 1);
  const yp = f32(0.9, 0.2, 0.8, 0.1, 0.6);
  assert.equal(precision(yt, yp, 5), 2 / 3);
  assert.equal(recall(yt, yp, 5), 2 / 3);
  assert.equal(precision(f32(0, 0), f32(0.1, 0.2), 2), 0, 'nothing predicted positive gives 0, as Keras');
  assert.equal(recall(f32(0, 0), f32(0.9, 0.2), 2), 0);
  // Softmax outputs for 3 classes, one-hot and class-index labels give the same counts.
  const probs = f32(0.8, 0.1, 0.1, 0.3, 0.6, 0.1, 0.4, 0.4, 0.2);
  const oneHot = f32(1, 0, 0, 0, 0, 1, 0, 1, 0);
  const sparse = Int32Array.of(0, 2, 1);
  // predicted positives (> 0.5): (0,0) tp, (1,1) fp -> precision 1/2; positives 3, found 1 -> recall 1/3.
  assert.equal(precision(oneHot, probs, 3), 0.5);
  assert.equal(precision(sparse, probs, 3), 0.5);
  assert.equal(recall(sparse, probs, 3), 1 / 3);
  assert.equal(recall(sparse, probs, 3, { classId: 0 }), 1);
  assert.equal(precision(sparse, probs, 3, { classId: 1 }), 0);
});

function bruteAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((li, i) => labels.forEach((lj, j) => {
    if (li === 1 && lj === 0) {
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }));
  return pairs === 0 ? 0 : wins / pairs;
}

test('exact AUC equals the pairwise probability, ties counting one half', () => {
  assert.equal(auc(f32(1, 1, 0, 0), f32(0.9, 0.4, 0.6, 0.1), 4), 0.75);
  assert.equal(auc(f32(1, 0, 1, 0), f32(0.5, 0.5, 0.5, 0.2), 4), 0.75);
  assert.equal(auc(f32(1, 1), f32(0.5, 0.2), 2), 0, 'one class only gives 0');
  const rng = new Rng(7);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < 400; i++) {
    const l = rng.nextUint32() % 2;
    labels.push(l);
    scores.push(Math.fround(Math.round((l * 0.3 + (rng.nextUint32() / 2 ** 32)) * 20) / 20));
  }
  const exact = auc(Float32Array.from(labels), Float32Array.from(scores), 400);
  assert.ok(Math.abs(exact - bruteAuc(labels, scores)) < 1e-12);
  // Keras' 200-threshold approximation is close to it.
  const approx = auc(Float32Array.from(labels), Float32Array.from(scores).map((s) => Math.min(1, Math.max(0, s))), 400, { numThresholds: 200 });
  assert.ok(Math.abs(approx - exact) < 0.02, `${approx} vs ${exact}`);
});

test("Keras' threshold AUC matches a hand computation", () => {
  // thresholds [-1e-7, 0.5, 1+1e-7]: tpr [1, .5, 0], fpr [1, .5, 0] -> trapezoids 0.375 + 0.125.
  assert.equal(auc(f32(1, 1, 0, 0), f32(0.9, 0.4, 0.6, 0.1), 4, { numThresholds: 3 }), 0.5);
});

test('mse and mae average over every element', () => {
  assert.equal(meanSquaredError(f32(1, 2, 3), f32(1, 4, 0)), 13 / 3);
  assert.equal(meanAbsoluteError(f32(1, 2, 3), f32(1, 4, 0)), 5 / 3);
});

test('accumulated over batches, every metric equals the metric over the whole epoch', () => {
  const rng = new Rng(3);
  const n = 37;
  const k = 4;
  const probs = new Float32Array(n * k).map(() => rng.nextUint32() / 2 ** 32);
  const sparse = new Int32Array(n).map(() => rng.nextUint32() % k);
  const oneHot = new Float32Array(n * k);
  sparse.forEach((c, r) => { oneHot[r * k + c] = 1; });
  const makers: [() => Metric, ArrayLike<number>][] = [
    [() => new BinaryAccuracy(), oneHot], [() => new CategoricalAccuracy(), oneHot], [() => new SparseCategoricalAccuracy(), sparse],
    [() => new Precision(), sparse], [() => new Recall(), oneHot], [() => new Auc(), sparse], [() => new Auc(undefined, { numThresholds: 50 }), oneHot],
    [() => new MeanSquaredError(), oneHot], [() => new MeanAbsoluteError(), oneHot],
  ];
  for (const [make, labels] of makers) {
    const whole = make();
    whole.update(labels, probs, n);
    const perRow = labels.length === n ? 1 : k;
    const batched = make();
    const a = make();
    const b = make();
    for (let s = 0; s < n; s += 5) {
      const e = Math.min(n, s + 5);
      const yt = Array.prototype.slice.call(labels, s * perRow, e * perRow) as number[];
      const yp = probs.subarray(s * k, e * k);
      batched.update(yt, yp, e - s);
      (s % 10 === 0 ? a : b).update(yt, yp, e - s);
    }
    a.merge(b);
    assert.ok(Math.abs(batched.result() - whole.result()) < 1e-12, `${whole.kind}: ${batched.result()} vs ${whole.result()}`);
    assert.ok(Math.abs(a.result() - whole.result()) < 1e-12, `${whole.kind} merged`);
    batched.reset();
    assert.equal(batched.result(), 0);
  }
});

test('mismatched shapes throw DataShapeError naming both', () => {
  assert.throws(() => categoricalAccuracy(f32(1, 0), f32(0.2, 0.3, 0.5, 0.1), 2), (e: unknown) => e instanceof DataShapeError && /length 2 .*\[2, 2\]/.test(e.message));
  assert.throws(() => sparseCategoricalAccuracy(f32(1, 0, 1), f32(0.2, 0.3, 0.5, 0.1), 2), DataShapeError);
  assert.throws(() => binaryAccuracy(f32(1, 0, 1), f32(0.2, 0.3, 0.5), 2), /do not split into 2 rows/);
  assert.throws(() => new Auc().merge(new Precision()), TypeError);
});

test('resolveMetric resolves accuracy by loss like Keras and accepts snake and camel names', () => {
  assert.equal(resolveMetric('accuracy', 'sparse_categorical_crossentropy').kind, 'sparse_categorical_accuracy');
  assert.equal(resolveMetric('accuracy', 'sparseCategoricalCrossentropy').kind, 'sparse_categorical_accuracy');
  assert.equal(resolveMetric('acc', 'categorical_crossentropy').kind, 'categorical_accuracy');
  assert.equal(resolveMetric('accuracy', 'binaryCrossentropy').kind, 'binary_accuracy');
  assert.equal(resolveMetric('accuracy', 'mse', { outputWidth: 1 }).kind, 'binary_accuracy');
  assert.equal(resolveMetric('accuracy', 'mse', { outputWidth: 10, sparseLabels: true }).kind, 'sparse_categorical_accuracy');
  assert.equal(resolveMetric('accuracy', 'mse', { outputWidth: 10 }).kind, 'categorical_accuracy');
  assert.equal(resolveMetric('accuracy', 'sparse_categorical_crossentropy').name, 'accuracy');
  assert.equal(resolveMetric('sparseCategoricalAccuracy').kind, 'sparse_categorical_accuracy');
  assert.equal(resolveMetric('AUC').kind, 'auc');
  assert.equal(resolveMetric('mse').kind, 'mean_squared_error');
  assert.equal(resolveMetric('mean_absolute_error').kind, 'mean_absolute_error');
  assert.equal(resolveMetric('Precision').kind, 'precision');
  assert.equal(resolveMetric('recall').kind, 'recall');
  assert.throws(() => resolveMetric('f1', undefined, { path: 'metrics[2]' }), (e: unknown) => e instanceof SpecError && e.path === 'metrics[2]' && /unknown metric "f1"/.test(e.message));
});
