/** Activations: PyTorch reference values, finite-difference gradients, names and edge cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { Tensor } from '../../src/engine/tensor/index.ts';
import {
  activations, elu, gelu, leakyRelu, linear, logSoftmax, relu, resolveActivation, sigmoid, softmax, softplus, swish, tanh,
} from '../../src/engine/ops/index.ts';
import { assertClose, gradCheck, randAwayFromZero, randLeaf } from './tensorGradCheck.ts';
import { checkFixture } from './tensorFixtureCases.ts';

const rng = new Rng(3);

test('activations match PyTorch', () => {
  checkFixture('relu', relu);
  checkFixture('leaky_relu', (x) => leakyRelu(x, 0.3));
  checkFixture('elu', (x) => elu(x));
  checkFixture('gelu', (x) => gelu(x), 2e-6, 2e-5);
  checkFixture('gelu_tanh', (x) => gelu(x, true));
  checkFixture('softplus', softplus);
  checkFixture('swish', swish);
  checkFixture('softmax', (x) => softmax(x));
  checkFixture('log_softmax', (x) => logSoftmax(x));
});

test('activation gradients match finite differences', () => {
  const away = () => randAwayFromZero([3, 4], rng);
  gradCheck('linear', linear, [randLeaf([3], rng)]);
  gradCheck('relu', relu, [away()]);
  gradCheck('leakyRelu', (x) => leakyRelu(x), [away()]);
  gradCheck('leakyRelu 0.1', (x) => leakyRelu(x, 0.1), [away()]);
  gradCheck('elu', (x) => elu(x), [away()]);
  gradCheck('elu alpha 0.5', (x) => elu(x, 0.5), [away()]);
  gradCheck('gelu', (x) => gelu(x), [randLeaf([3, 4], rng, -4, 4)]);
  gradCheck('gelu tanh', (x) => gelu(x, true), [randLeaf([3, 4], rng, -4, 4)]);
  gradCheck('sigmoid', sigmoid, [randLeaf([3, 4], rng, -5, 5)]);
  gradCheck('tanh', tanh, [randLeaf([3, 4], rng)]);
  gradCheck('softmax', (x) => softmax(x), [randLeaf([3, 4], rng)]);
  gradCheck('logSoftmax', (x) => logSoftmax(x), [randLeaf([3, 4], rng)]);
  gradCheck('softplus', softplus, [randAwayFromZero([3, 4], rng, 0.1, 6)]);
  gradCheck('swish', swish, [randLeaf([3, 4], rng, -4, 4)]);
});

test('defaults: leakyRelu slope 0.2 (keras.activations.leaky_relu, as the layer kernels), elu alpha 1', () => {
  assertClose(leakyRelu(Tensor.from([-2, 3])).data, [-0.4, 3], 'leakyRelu');
  assertClose(elu(Tensor.from([-1, 3])).data, [Math.exp(-1) - 1, 3], 'elu');
});

test('activations stay finite for extreme inputs, with finite gradients', () => {
  for (const [name, f] of Object.entries(activations)) {
    const x = Tensor.from([-1e4, -100, 0, 100, 1e4], [1, 5], { requiresGrad: true });
    const y = f(x);
    assert.ok(y.toArray().every(Number.isFinite), `${name}: forward ${y.toArray()}`);
    y.mul(Tensor.from([1, 2, 3, 4, 5], [1, 5])).sum().backward();
    assert.ok(x.grad!.toArray().every(Number.isFinite), `${name}: gradient ${x.grad!.toArray()}`);
  }
  assertClose(softplus(Tensor.from([-30, 30])).data, [Math.exp(-30), 30], 'softplus tails', 1e-20, 1e-5);
});

test('resolveActivation accepts camelCase and Keras names and lists valid ones', () => {
  assert.equal(resolveActivation('relu'), relu);
  const x = Tensor.from([-1, 2]);
  assertClose(resolveActivation('leaky_relu')(x).data, [-0.2, 2], 'leaky_relu');
  assertClose(resolveActivation('gelu_approximate')(x).data, gelu(x, true).toArray(), 'gelu approx');
  assert.throws(() => resolveActivation('swoosh'), /Unknown activation "swoosh"\. Valid activations: linear, relu/);
});

test('gradients at exactly 0: relu 0, abs 0, softplus 1/2, leakyRelu alpha, elu 1', () => {
  const at0 = (f: (x: Tensor) => Tensor): number => {
    const x = Tensor.param([0]);
    f(x).sum().backward();
    return x.grad!.item();
  };
  assert.equal(at0(relu), 0);
  assert.equal(at0((x) => x.abs()), 0);
  assert.equal(at0(softplus), 0.5);
  assertClose([at0((x) => leakyRelu(x))], [0.2], 'leakyRelu');
  assert.equal(at0((x) => elu(x)), 1);
});
