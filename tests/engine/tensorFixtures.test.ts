/** Primitives and tensor composites against PyTorch reference values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor/index.ts';
import type { Tensor as T } from '../../src/engine/tensor/index.ts';
import { checkFixture, fixtureNames } from './tensorFixtureCases.ts';

const expressions: Record<string, (...xs: T[]) => T> = {
  add_broadcast: (a, b) => a.add(b),
  sub_broadcast: (a, b) => a.sub(b),
  mul_broadcast: (a, b) => a.mul(b),
  div_broadcast: (a, b) => a.div(b),
  neg: (a) => a.neg(),
  exp: (a) => a.exp(),
  log: (a) => a.log(),
  log1p: (a) => a.log1p(),
  sqrt: (a) => a.sqrt(),
  sigmoid: (a) => a.sigmoid(),
  tanh: (a) => a.tanh(),
  erf: (a) => a.erf(),
  where_broadcast: (c, a, b) => Tensor.where(c.gt(0), a, b),
  sum_axes_0_2: (a) => a.sum([0, 2]),
  sum_all: (a) => a.sum(),
  max_axis_1_keepdims: (a) => a.max(1, true),
  mean_axis_last: (a) => a.mean(-1),
  reshape_permute: (a) => a.reshape([4, 6]).reshape([2, 3, 4]).permute([2, 0, 1]),
  transpose: (a) => a.transpose(0, 1),
  expand: (a) => a.expand([2, 3, 4]),
  slice: (a) => a.slice([1, 2], [2, 3]),
  pad: (a) => a.pad([[1, 0], [2, 1]]),
  concat_axis1: (a, b) => Tensor.concat([a, b], 1),
  matmul: (a, b) => a.matmul(b),
  matmul_transpose_b: (a, b) => a.matmul(b, false, true),
  matmul_transpose_a: (a, b) => a.matmul(b, true, false),
  matmul_batched: (a, b) => a.matmul(b),
  matmul_nd_2d: (a, b) => a.matmul(b),
  softmax: (a) => a.softmax(),
  log_softmax: (a) => a.logSoftmax(),
};

test('every primitive fixture has an expression here', () => {
  const primitiveFixtures = fixtureNames().filter((n) => !n.startsWith('loss_'));
  const covered = new Set([...Object.keys(expressions), 'relu', 'leaky_relu', 'elu', 'gelu', 'gelu_tanh', 'softplus', 'swish']);
  assert.deepEqual(primitiveFixtures.filter((n) => !covered.has(n)), []);
});

for (const [name, f] of Object.entries(expressions)) {
  test(`matches PyTorch: ${name}`, () => checkFixture(name, f));
}
