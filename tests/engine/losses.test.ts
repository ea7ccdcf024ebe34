/** Losses: PyTorch/Keras reference values, finite differences, stability, names, weights. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { Tensor } from '../../src/engine/tensor/index.ts';
import {
  binaryCrossentropy, categoricalCrossentropy, losses, meanAbsoluteError, meanSquaredError, resolveLoss,
  sparseCategoricalCrossentropy,
} from '../../src/engine/losses/index.ts';
import type { Tensor as T } from '../../src/engine/tensor/index.ts';
import { assertClose, gradCheck, randAwayFromZero, randLeaf } from './tensorGradCheck.ts';
import { checkFixture, fixtureNames } from './tensorFixtureCases.ts';

const rng = new Rng(11);

const expressions: Record<string, (...xs: T[]) => T> = {
  loss_mse: (y, p) => meanSquaredError(y, p),
  loss_mse_weighted: (y, p, w) => meanSquaredError(y, p, { sampleWeight: w }),
  loss_mae: (y, p) => meanAbsoluteError(y, p),
  loss_bce_probs: (y, p) => binaryCrossentropy(y, p),
  loss_bce_logits: (y, z) => binaryCrossentropy(y, z, { fromLogits: true }),
  loss_bce_logits_weighted: (y, z, w) => binaryCrossentropy(y, z, { fromLogits: true, sampleWeight: w }),
  loss_bce_logits_extreme: (y, z) => binaryCrossentropy(y, z, { fromLogits: true }),
  loss_cce_probs: (y, p) => categoricalCrossentropy(y, p),
  loss_cce_logits: (y, z) => categoricalCrossentropy(y, z, { fromLogits: true }),
  loss_cce_logits_extreme: (y, z) => categoricalCrossentropy(y, z, { fromLogits: true }),
  loss_scce_logits: (y, z) => sparseCategoricalCrossentropy(y, z, { fromLogits: true }),
  loss_scce_logits_weighted: (y, z, w) => sparseCategoricalCrossentropy(y, z, { fromLogits: true, sampleWeight: w }),
  loss_scce_probs: (y, p) => sparseCategoricalCrossentropy(y, p),
};

test('every loss fixture is checked', () => {
  assert.deepEqual(fixtureNames('loss_').filter((n) => !(n in expressions)), []);
});

for (const [name, f] of Object.entries(expressions)) {
  test(`matches the Keras formula computed in PyTorch: ${name}`, () => checkFixture(name, f, 1e-4, 1e-4));
}

test('loss gradients match finite differences', () => {
  const yReal = Tensor.uniform([4, 3], rng, -1, 1);
  const y01 = Tensor.from([1, 0, 0, 1, 1, 1, 0, 0], [4, 2]);
  const oneHot = Tensor.oneHot([0, 2, 1, 1], 3);
  const labels = Tensor.from([0, 2, 1, 1]);
  const weights = Tensor.from([0.5, 1, 2, 1]);
  gradCheck('mse', (p) => meanSquaredError(yReal, p), [randLeaf([4, 3], rng)]);
  gradCheck('mse weighted', (p) => meanSquaredError(yReal, p, { sampleWeight: weights }), [randLeaf([4, 3], rng)]);
  gradCheck('mae', (p) => meanAbsoluteError(yReal, p), [yReal.add(randAwayFromZero([4, 3], rng, 0.1, 1)).detach().setRequiresGrad()]);
  gradCheck('bce probs', (p) => binaryCrossentropy(y01, p), [randLeaf([4, 2], rng, 0.1, 0.9)], { eps: 2e-3 });
  gradCheck('bce logits', (z) => binaryCrossentropy(y01, z, { fromLogits: true }), [randAwayFromZero([4, 2], rng, 0.1, 5)]);
  gradCheck('bce smoothing', (z) => binaryCrossentropy(y01, z, { fromLogits: true, labelSmoothing: 0.1 }), [randLeaf([4, 2], rng)]);
  gradCheck('cce probs', (p) => categoricalCrossentropy(oneHot, p), [randLeaf([4, 3], rng, 0.2, 1)], { eps: 2e-3 });
  gradCheck('cce logits', (z) => categoricalCrossentropy(oneHot, z, { fromLogits: true }), [randLeaf([4, 3], rng, -4, 4)]);
  gradCheck('scce logits weighted', (z) => sparseCategoricalCrossentropy(labels, z, { fromLogits: true, sampleWeight: weights }), [randLeaf([4, 3], rng, -4, 4)]);
  gradCheck('scce probs', (p) => sparseCategoricalCrossentropy(labels.reshape([4, 1]), p), [randLeaf([4, 3], rng, 0.2, 1)], { eps: 2e-3 });
});

test('extreme logits give finite losses and gradients', () => {
  const z = (): T => Tensor.from([1e4, -1e4, 0, -1e4, 1e4, 3, 1e4, 1e4, -1e4], [3, 3], { requiresGrad: true });
  const cases: [string, (x: T) => T][] = [
    ['cce', (x) => categoricalCrossentropy(Tensor.oneHot([1, 0, 2], 3), x, { fromLogits: true })],
    ['scce', (x) => sparseCategoricalCrossentropy(Tensor.from([1, 0, 2]), x, { fromLogits: true })],
    ['bce', (x) => binaryCrossentropy(Tensor.from([1, 0, 1, 0, 1, 0, 1, 1, 0], [3, 3]), x, { fromLogits: true })],
    ['bce probs', (x) => binaryCrossentropy(Tensor.from([1, 0, 1, 0, 1, 0, 1, 1, 0], [3, 3]), x.sigmoid())],
    ['cce probs', (x) => categoricalCrossentropy(Tensor.oneHot([1, 0, 2], 3), x.softmax())],
  ];
  for (const [name, f] of cases) {
    const x = z();
    const loss = f(x);
    assert.ok(Number.isFinite(loss.item()), `${name}: loss ${loss.item()}`);
    loss.backward();
    assert.ok(x.grad!.toArray().every(Number.isFinite), `${name}: gradient ${x.grad!.toArray()}`);
  }
  // The wrong class at 1e4 margin costs ~2e4/3 per row in cce: check the magnitude too.
  const wrong = categoricalCrossentropy(Tensor.oneHot([1], 3), Tensor.from([[1e4, -1e4, 0]]), { fromLogits: true });
  assertClose([wrong.item()], [2e4], 'cce wrong by 2e4', 1);
});

test('losses return a scalar mean over the batch; sample weights scale per sample', () => {
  const y = Tensor.from([[0], [0]]);
  const p = Tensor.from([[1], [3]]);
  assert.deepEqual(meanSquaredError(y, p).shape, []);
  assert.equal(meanSquaredError(y, p).item(), 5);
  assert.equal(meanSquaredError(y, p, { sampleWeight: Tensor.from([1, 0]) }).item(), 0.5);
  assert.equal(meanAbsoluteError(y, p).item(), 2);
  assert.throws(() => meanSquaredError(y, Tensor.zeros([2, 2])), /yTrue shape \[2,1\] and yPred shape \[2,2\] do not match/);
  assert.throws(() => meanSquaredError(y, p, { sampleWeight: Tensor.ones([3]) }), /sampleWeight of shape \[3\]/);
  assert.throws(() => sparseCategoricalCrossentropy(Tensor.from([0, 1, 2]), Tensor.zeros([2, 3])), /yTrue shape \[3\] does not match yPred shape \[2,3\]/);
  assert.throws(() => sparseCategoricalCrossentropy(Tensor.from([0, 3]), Tensor.zeros([2, 3])), /oneHot: index 3/);
});

test('resolveLoss: camelCase names, Keras aliases, helpful error', () => {
  for (const name of Object.keys(losses)) assert.equal(resolveLoss(name), losses[name as keyof typeof losses]);
  assert.equal(resolveLoss('mse'), meanSquaredError);
  assert.equal(resolveLoss('mean_squared_error'), meanSquaredError);
  assert.equal(resolveLoss('mae'), meanAbsoluteError);
  assert.equal(resolveLoss('mean_absolute_error'), meanAbsoluteError);
  assert.equal(resolveLoss('binary_crossentropy'), binaryCrossentropy);
  assert.equal(resolveLoss('categorical_crossentropy'), categoricalCrossentropy);
  assert.equal(resolveLoss('sparse_categorical_crossentropy'), sparseCategoricalCrossentropy);
  assert.throws(() => resolveLoss('hinge'), (e: Error) =>
    e.message.startsWith('Unknown loss "hinge". Valid losses: meanSquaredError') &&
    e.message.includes('sparse_categorical_crossentropy'));
  assert.throws(() => resolveLoss('toString'), /Unknown loss "toString"/);
});

test('binaryCrossentropy from logits at z = 0 has gradient (sigmoid(0) − y) / count', () => {
  const z = Tensor.param([0, 0], [2, 1]);
  binaryCrossentropy(Tensor.from([[1], [0]]), z, { fromLogits: true }).backward();
  assertClose(z.grad!.data, [-0.25, 0.25], 'grad');
  const p = Tensor.param([0.5, 0.5], [1, 2]);
  meanAbsoluteError(Tensor.from([[0.5, 1]]), p).backward();
  assertClose(p.grad!.data, [0, -0.5], 'mae gradient is 0 where prediction equals target');
});
