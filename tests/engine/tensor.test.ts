import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, noGrad, isGradEnabled } from '../../src/engine/tensor/index.ts';
import { assertClose } from './tensorGradCheck.ts';

test('storage is a Float32Array over a SharedArrayBuffer', () => {
  for (const t of [Tensor.zeros([2, 3]), Tensor.from([1, 2, 3]), Tensor.ones([2]).add(1), Tensor.from([[1, 2]]).matmul(Tensor.from([[3], [4]]))]) {
    assert.ok(t.data instanceof Float32Array);
    assert.ok(t.data.buffer instanceof SharedArrayBuffer);
  }
});

test('factories and shapes', () => {
  const t = Tensor.from([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual(t.toNested(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(Tensor.scalar(3).item(), 3);
  assert.deepEqual(Tensor.scalar(3).shape, []);
  assert.deepEqual(Tensor.full([2], 7).toArray(), [7, 7]);
  assert.deepEqual(Tensor.oneHot([2, 0], 3).toNested(), [[0, 0, 1], [1, 0, 0]]);
  assert.throws(() => Tensor.from([1, 2, 3], [2, 2]), /3 values do not fill shape \[2,2\]/);
  const shared = new Float32Array(new SharedArrayBuffer(16));
  const view = Tensor.fromShared(shared, [2, 2]);
  shared[3] = 9;
  assert.equal(view.data[3], 9);
});

test('numpy broadcasting in elementwise ops', () => {
  const a = Tensor.from([[1], [2], [3]]); // [3,1]
  const b = Tensor.from([10, 20]); // [2]
  assert.deepEqual(a.add(b).toNested(), [[11, 21], [12, 22], [13, 23]]);
  assert.deepEqual(a.mul(2).toNested(), [[2], [4], [6]]);
  assert.deepEqual(Tensor.scalar(1).sub(b).toArray(), [-9, -19]);
  const c = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
  const row = Tensor.from([[100], [200], [300]]); // [3,1] broadcast into the middle
  assert.deepEqual(c.add(row).toArray(), [101, 102, 203, 204, 305, 306, 107, 108, 209, 210, 311, 312]);
  assert.throws(() => Tensor.zeros([2, 3]).add(Tensor.zeros([4])), /add: shapes \[2,3\] and \[4\] cannot be broadcast/);
});

test('matmul values and the error naming both shapes', () => {
  const a = Tensor.from([[1, 2, 3], [4, 5, 6]]);
  const b = Tensor.from([[7, 8], [9, 10], [11, 12]]);
  assert.deepEqual(a.matmul(b).toNested(), [[58, 64], [139, 154]]);
  assert.deepEqual(a.matmul(a, false, true).toNested(), [[14, 32], [32, 77]]);
  assert.deepEqual(a.matmul(a, true, false).shape, [3, 3]);
  assert.throws(
    () => Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5])),
    { message: 'matmul: inner dimensions 3 and 4 of shapes [2,3] and [4,5] do not match' },
  );
});

test('reductions, movement ops', () => {
  const t = Tensor.from([1, 5, 3, 4, 2, 6], [2, 3]);
  assert.deepEqual(t.sum().toArray(), [21]);
  assert.deepEqual(t.sum(0).toArray(), [5, 7, 9]);
  assert.deepEqual(t.sum(-1, true).shape, [2, 1]);
  assert.deepEqual(t.max(1).toArray(), [5, 6]);
  assert.deepEqual(t.min(0).toArray(), [1, 2, 3]);
  assert.deepEqual(t.mean(1).toArray(), [3, 4]);
  assert.deepEqual(t.argmax(-1).toArray(), [1, 2]);
  assert.deepEqual(t.reshape([3, -1]).shape, [3, 2]);
  assert.deepEqual(t.transpose().toNested(), [[1, 4], [5, 2], [3, 6]]);
  assert.deepEqual(t.slice([0, 1], [2, 2]).toNested(), [[5, 3], [2, 6]]);
  assert.deepEqual(t.narrow(1, 2, 1).toNested(), [[3], [6]]);
  assert.deepEqual(Tensor.from([1, 2]).pad([[1, 2]]).toArray(), [0, 1, 2, 0, 0]);
  assert.deepEqual(Tensor.concat([t, Tensor.from([[7], [8]])], 1).toNested(), [[1, 5, 3, 7], [4, 2, 6, 8]]);
  assert.deepEqual(Tensor.stack([Tensor.from([1, 2]), Tensor.from([3, 4])], 1).toNested(), [[1, 3], [2, 4]]);
  assert.deepEqual(Tensor.from([1, 2]).reshape([2, 1]).expand([2, 3]).toNested(), [[1, 1, 1], [2, 2, 2]]);
  assert.throws(() => t.reshape([4, 2]), /reshape: cannot reshape shape \[2,3\]/);
  assert.throws(() => t.slice([1, 0], [2, 3]), /slice: .*shape \[2,3\]/);
  assert.throws(() => Tensor.concat([t, Tensor.zeros([3, 1])], 1), /concat: shapes \[2,3\] and \[3,1\]/);
  assert.throws(() => t.sum(2), /sum: axis 2 is out of range for shape \[2,3\]/);
});

test('x.mul(x).sum().backward() gives 2x', () => {
  const x = Tensor.from([1, -2, 3.5], [3], { requiresGrad: true });
  x.mul(x).sum().backward();
  assert.deepEqual(x.grad?.toArray(), [2, -4, 7]);
});

test('gradients accumulate across two backward calls and zeroGrad keeps the buffer', () => {
  const x = Tensor.param([1, 2, 3]);
  const buffer = x.grad!.data;
  const y = x.mul(3).sum();
  y.backward();
  y.backward();
  assert.deepEqual(x.grad!.toArray(), [6, 6, 6]);
  x.mul(x).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [8, 10, 12]);
  assert.equal(x.grad!.data, buffer);
  x.zeroGrad();
  assert.deepEqual(x.grad!.toArray(), [0, 0, 0]);
  assert.equal(x.grad!.data, buffer);
});

test('a tensor used twice gets the sum of both paths', () => {
  const x = Tensor.param([2]);
  const y = x.mul(x).add(x.exp()).add(x); // 2x + e^x + 1
  y.sum().backward();
  assertClose(x.grad!.data, [4 + Math.exp(2) + 1], 'grad');
});

test('noGrad records no tape, detach cuts the tape', () => {
  const x = Tensor.param([1, 2]);
  const y = noGrad(() => {
    assert.equal(isGradEnabled(), false);
    return x.mul(x);
  });
  assert.equal(isGradEnabled(), true);
  assert.equal(y.requiresGrad, false);
  assert.equal(y.op, null);
  assert.equal(y.inputs.length, 0);
  assert.throws(() => y.sum().backward(), /does not require grad/);
  const d = x.detach();
  assert.equal(d.requiresGrad, false);
  assert.equal(d.data, x.data);
  const z = x.mul(d).sum(); // gradient only through the first factor
  z.backward();
  assert.deepEqual(x.grad!.toArray(), [1, 2]);
  assert.throws(() => noGrad(() => {
    throw new Error('boom');
  }), /boom/);
  assert.equal(isGradEnabled(), true);
});

test('backward needs a scalar or an explicit seed of the same shape', () => {
  const x = Tensor.param([1, 2, 3]);
  const y = x.mul(2);
  assert.throws(() => y.backward(), /implicit gradient needs a single-value tensor, got shape \[3\]/);
  y.backward(Tensor.from([1, 0, -1]));
  assert.deepEqual(x.grad!.toArray(), [2, 0, -2]);
  assert.throws(() => y.backward(Tensor.from([1, 0])), /gradient of shape \[2\] does not match tensor shape \[3\]/);
});

test('comparisons give 0/1 and no gradient; relu gradient is 0 at 0', () => {
  const x = Tensor.param([-1, 0, 2]);
  assert.deepEqual(x.gt(0).toArray(), [0, 0, 1]);
  assert.deepEqual(x.le(0).toArray(), [1, 1, 0]);
  assert.equal(x.gt(0).requiresGrad, false);
  x.relu().sum().backward();
  assert.deepEqual(x.grad!.toArray(), [0, 0, 1]);
});

test('max gradient is shared between ties', () => {
  const x = Tensor.param([3, 1, 3]);
  x.max().backward();
  assert.deepEqual(x.grad!.toArray(), [0.5, 0, 0.5]);
});

test('long chains do not overflow the stack', () => {
  const x = Tensor.param([1]);
  let y = x;
  for (let i = 0; i < 20000; i++) y = y.mul(1);
  y.sum().backward();
  assert.deepEqual(x.grad!.toArray(), [1]);
});

test('softmax is finite for extreme inputs', () => {
  const x = Tensor.param([1e4, -1e4, 0], [1, 3]);
  const s = x.softmax();
  assert.deepEqual(s.toArray(), [1, 0, 0]);
  s.mul(Tensor.from([1, 2, 3], [1, 3])).sum().backward();
  assert.ok(x.grad!.toArray().every(Number.isFinite));
  assert.ok(x.logSoftmax().toArray().every(Number.isFinite));
  assertClose(Tensor.from([1e4, 1e4]).logSumExp(0).data, [1e4 + Math.LN2], 'lse', 1e-2);
});

test('empty and rank-0 tensors', () => {
  const e = Tensor.zeros([0, 3], { requiresGrad: true });
  assert.deepEqual(e.add(Tensor.ones([3])).shape, [0, 3]);
  assert.equal(e.sum().item(), 0);
  assert.deepEqual(e.sum(0).toArray(), [0, 0, 0]);
  assert.deepEqual(Tensor.concat([e, Tensor.ones([2, 3])]).shape, [2, 3]);
  e.add(1).sum().backward();
  assert.deepEqual(e.grad!.shape, [0, 3]);
  assert.deepEqual(Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 3])).toArray(), [0, 0, 0, 0, 0, 0]);
  assert.throws(() => Tensor.zeros([0]).max(), /max: cannot reduce an empty axis of shape \[0\]/);
  const s = Tensor.param([3]);
  s.reshape([]).mul(2).backward();
  assert.deepEqual(s.grad!.toArray(), [2]);
  assert.equal(Tensor.scalar(5).sum().item(), 5);
});
