/** End to end: a two-layer network learns XOR with the tape, a loss and plain SGD. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { Tensor, noGrad } from '../../src/engine/tensor/index.ts';
import { binaryCrossentropy } from '../../src/engine/losses/index.ts';
import { tanh } from '../../src/engine/ops/index.ts';

test('an MLP learns XOR', () => {
  const rng = new Rng(1);
  const x = Tensor.from([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = Tensor.from([[0], [1], [1], [0]]);
  const params = [
    Tensor.param(Tensor.randn([2, 8], rng, 0, 1)),
    Tensor.param(Tensor.zeros([8])),
    Tensor.param(Tensor.randn([8, 1], rng, 0, 0.5)),
    Tensor.param(Tensor.zeros([1])),
  ];
  const [w1, b1, w2, b2] = params;
  const forward = (): Tensor => tanh(x.matmul(w1).add(b1)).matmul(w2).add(b2);
  let first = 0;
  let last = 0;
  for (let step = 0; step < 300; step++) {
    for (const p of params) p.zeroGrad();
    const loss = binaryCrossentropy(y, forward(), { fromLogits: true });
    loss.backward();
    if (step === 0) first = loss.item();
    last = loss.item();
    for (const p of params) {
      const g = p.grad!.data;
      for (let i = 0; i < p.size; i++) p.data[i] -= 0.5 * g[i];
    }
  }
  assert.ok(last < 0.05 && last < first, `loss went from ${first} to ${last}`);
  const predictions = noGrad(() => forward().sigmoid().toArray().map(Math.round));
  assert.deepEqual(predictions, [0, 1, 1, 0]);
});
