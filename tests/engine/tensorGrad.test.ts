/** Finite-difference gradient checks for every primitive and the tensor's own composites. */
import { test } from 'node:test';
import { Rng } from '../../src/engine/rng.ts';
import { Tensor } from '../../src/engine/tensor/index.ts';
import { gradCheck, randAwayFromZero, randLeaf } from './tensorGradCheck.ts';

const rng = new Rng(42);
const L = (shape: number[], lo = -2, hi = 2): Tensor => randLeaf(shape, rng, lo, hi);
const A = (shape: number[], lo = 0.2, hi = 2): Tensor => randAwayFromZero(shape, rng, lo, hi);
const positive = (shape: number[]): Tensor => randLeaf(shape, rng, 0.3, 3);
/** Distinct values at least 0.1 apart (no near-ties for max), shuffled. */
const distinct = (shape: number[]): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = rng.shuffle(Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1));
  return Tensor.from(values, shape, { requiresGrad: true });
};

test('add (same shape, scalar, row and middle-axis broadcast)', () => {
  gradCheck('add same', (a, b) => a.add(b), [L([3, 4]), L([3, 4])]);
  gradCheck('add row', (a, b) => a.add(b), [L([3, 4]), L([4])]);
  gradCheck('add scalar tensor', (a, b) => a.add(b), [L([2, 3]), L([])]);
  gradCheck('add middle', (a, b) => a.add(b), [L([2, 3, 4]), L([3, 1])]);
  gradCheck('add both broadcast', (a, b) => a.add(b), [L([4, 1]), L([1, 5])]);
  gradCheck('add number', (a) => a.add(3), [L([2, 2])]);
});

test('mul, div, neg, sub (broadcasting)', () => {
  gradCheck('mul', (a, b) => a.mul(b), [L([2, 3, 4]), L([1, 3, 1])]);
  gradCheck('mul self', (a) => a.mul(a), [L([5])]);
  gradCheck('div', (a, b) => a.div(b), [L([3, 4]), A([4], 0.5, 2)]);
  gradCheck('div scalar numerator', (b) => Tensor.scalar(2).div(b), [A([3], 0.5, 2)]);
  gradCheck('neg', (a) => a.neg(), [L([2, 3])]);
  gradCheck('sub', (a, b) => a.sub(b), [L([2, 3]), L([2, 1])]);
});

test('exp, log, log1p, sqrt, sigmoid, tanh, erf', () => {
  gradCheck('exp', (a) => a.exp(), [L([2, 3])]);
  gradCheck('log', (a) => a.log(), [positive([2, 3])]);
  gradCheck('log1p', (a) => a.log1p(), [randLeaf([2, 3], rng, -0.5, 3)]);
  gradCheck('sqrt', (a) => a.sqrt(), [positive([2, 3])]);
  gradCheck('sigmoid', (a) => a.sigmoid(), [L([2, 3], -6, 6)]);
  gradCheck('tanh', (a) => a.tanh(), [L([2, 3], -2, 2)]);
  gradCheck('erf', (a) => a.erf(), [L([2, 3], -2, 2)]);
});

test('where (condition broadcast against both branches)', () => {
  const cond = A([3, 1]).detach().gt(0);
  gradCheck('where', (a, b) => cond.select(a, b), [L([3, 4]), L([4])]);
  gradCheck('where number branch', (a) => Tensor.where(cond, a, 0), [L([3, 4])]);
  gradCheck('abs', (a) => a.abs(), [A([6])]);
  gradCheck('maximum', (a, b) => a.maximum(b), [L([4, 3]), L([3])]);
  gradCheck('clip', (a) => a.clip(-1, 1), [A([8], 0.1, 0.9)]);
});

test('sum and mean over axes', () => {
  gradCheck('sum all', (a) => a.sum(), [L([2, 3, 4])]);
  gradCheck('sum 0,2', (a) => a.sum([0, 2]), [L([2, 3, 4])]);
  gradCheck('sum -1 keepDims', (a) => a.sum(-1, true), [L([2, 3, 4])]);
  gradCheck('sum 0,1 adjacent', (a) => a.sum([0, 1]), [L([2, 3, 4])]);
  gradCheck('mean 1', (a) => a.mean(1), [L([2, 3, 4])]);
});

test('max over axes (distinct values)', () => {
  gradCheck('max all', (a) => a.max(), [distinct([3, 4])]);
  gradCheck('max 1 keepDims', (a) => a.max(1, true), [distinct([2, 5, 3])]);
  gradCheck('max 0,2', (a) => a.max([0, 2]), [distinct([2, 3, 4])]);
  gradCheck('min -1', (a) => a.min(-1), [distinct([3, 4])]);
});

test('reshape, permute, transpose, expand', () => {
  gradCheck('reshape', (a) => a.reshape([4, -1]).mul(a.reshape([4, 6])), [L([2, 12])]);
  gradCheck('permute', (a) => a.permute([2, 0, 1]), [L([2, 3, 4])]);
  gradCheck('transpose', (a) => a.transpose(), [L([3, 5])]);
  gradCheck('expand', (a) => a.expand([2, 3, 4]), [L([3, 1])]);
  gradCheck('expand rank-up', (a) => a.expand([3, 4]), [L([4])]);
});

test('slice, narrow, pad, concat, stack', () => {
  gradCheck('slice', (a) => a.slice([1, 2], [2, 3]), [L([4, 5])]);
  gradCheck('slice 3d', (a) => a.slice([0, 1, 1], [2, -1, 2]), [L([2, 3, 4])]);
  gradCheck('narrow', (a) => a.narrow(-1, 1, 2), [L([3, 4])]);
  gradCheck('pad', (a) => a.pad([[1, 0], [2, 1]]), [L([2, 3])]);
  gradCheck('concat', (a, b) => Tensor.concat([a, b], 1), [L([2, 3]), L([2, 2])]);
  gradCheck('concat 0 three', (a, b, c) => Tensor.concat([a, b, c], 0), [L([1, 3]), L([2, 3]), L([1, 3])]);
  gradCheck('stack', (a, b) => Tensor.stack([a, b], 1), [L([2, 3]), L([2, 3])]);
});

test('matmul with every transpose combination, batched and N-d', () => {
  gradCheck('matmul NN', (a, b) => a.matmul(b), [L([5, 7]), L([7, 3])]);
  gradCheck('matmul NT', (a, b) => a.matmul(b, false, true), [L([5, 7]), L([3, 7])]);
  gradCheck('matmul TN', (a, b) => a.matmul(b, true, false), [L([7, 5]), L([7, 3])]);
  gradCheck('matmul TT', (a, b) => a.matmul(b, true, true), [L([7, 5]), L([3, 7])]);
  gradCheck('matmul batched', (a, b) => a.matmul(b), [L([2, 3, 4]), L([2, 4, 5])]);
  gradCheck('matmul batched TN', (a, b) => a.matmul(b, true, false), [L([2, 4, 3]), L([2, 4, 5])]);
  gradCheck('matmul N-d by 2-d', (a, b) => a.matmul(b), [L([2, 3, 4]), L([4, 2])]);
  gradCheck('matmul rank 4', (a, b) => a.matmul(b), [L([2, 2, 3, 4]), L([2, 2, 4, 2])]);
  gradCheck('dense layer', (x, w, b) => x.matmul(w).add(b), [L([4, 3]), L([3, 2]), L([2])]);
});

test('softmax, logSoftmax, logSumExp, relu (composites)', () => {
  gradCheck('softmax', (a) => a.softmax(), [L([3, 5], -4, 4)]);
  gradCheck('softmax axis 0', (a) => a.softmax(0), [L([3, 5], -4, 4)]);
  gradCheck('logSoftmax', (a) => a.logSoftmax(), [L([3, 5], -4, 4)]);
  gradCheck('logSumExp', (a) => a.logSumExp(-1), [L([3, 5], -4, 4)]);
  gradCheck('relu', (a) => a.relu(), [A([3, 4])]);
  gradCheck('pow', (a) => a.pow(1.5), [positive([4])]);
});
