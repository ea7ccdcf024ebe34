/**
 * computeGradients does not zero a dense layer's weight gradient first: the layer writes it
 * whole. Stale values must never leak into the result, with or without a regulariser, and a
 * gradient no backward reaches (a non-finite loss) comes out zero.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Sequential } from '../../src/engine/index.ts';
import { plainKernels } from '../../src/engine/kernels/wasm/index.ts';
import { PLAIN_KERNELS } from '../../src/engine/layers/index.ts';

const batch = 6;
const rng = new Rng(9);
const x = new Float32Array(batch * 12).map(() => rng.normal());
const y = new Float32Array(batch).map(() => rng.int(4));

function build(l2: boolean, plain: boolean): Sequential {
  const spec = {
    inputShape: [12],
    layers: [
      { type: 'dense', units: 20, activation: 'relu', ...(l2 ? { kernelRegularizer: { type: 'l2', l2: 0.01 } } : {}) },
      { type: 'dense', units: 4, activation: 'softmax' },
    ],
  };
  const m = Sequential.fromSpec(spec, { seed: 4, ...(plain ? { kernels: plainKernels } : {}) });
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  return m;
}

for (const plain of [false, true]) {
  for (const l2 of [false, true]) {
    test(`stale gradients do not leak into the next computeGradients (${plain ? 'plain' : 'wasm'} kernels${l2 ? ', l2 regulariser' : ''})`, () => {
      const fresh = build(l2, plain);
      const lossFresh = fresh.computeGradients(x, y, batch);
      const expected = Array.from(fresh.storage.grads);
      const m = build(l2, plain);
      m.storage.grads.fill(1e30);
      const loss = m.computeGradients(x, y, batch);
      assert.equal(loss, lossFresh);
      assert.deepEqual(Array.from(m.storage.grads), expected);
      // And again on top of its own gradients: written, not added.
      m.computeGradients(x, y, batch);
      assert.deepEqual(Array.from(m.storage.grads), expected);
    });
  }
}

test('a non-finite loss leaves every gradient zero, not stale', () => {
  const m = build(false, false);
  m.computeGradients(x, y, batch);
  const bad = x.slice();
  bad[0] = Number.POSITIVE_INFINITY;
  const loss = m.computeGradients(bad, y, batch);
  assert.ok(!Number.isFinite(loss));
  assert.ok(m.storage.grads.every((g) => g === 0), 'no backward ran: the gradients are zero');
  assert.ok(m.params.every((p) => !p.gradUnset), 'no parameter is left marked');
});

test('backward() after computeGradients adds to the gradients (the public accumulate contract)', () => {
  const m = build(false, false);
  m.computeGradients(x, y, batch);
  const once = Float32Array.from(m.storage.grads);
  const out = m.forward(x, batch, true);
  const dy = new Float32Array(out.length).fill(0.5);
  m.backward(dy, batch);
  const w = m.params[0];
  const off = (w.grad.byteOffset - m.storage.grads.byteOffset) / 4;
  let changed = 0;
  for (let i = 0; i < w.grad.length; i++) if (w.grad[i] !== once[off + i]) changed++;
  assert.ok(changed > 0, 'the dense weight gradient moved');
  // Adding the same contribution to zeros gives the difference (up to rounding).
  const z = build(false, false);
  z.storage.grads.fill(0);
  z.forward(x, batch, true);
  z.backward(dy, batch);
  for (let i = 0; i < w.grad.length; i++) assert.ok(Math.abs(w.grad[i] - once[off + i] - z.params[0].grad[i]) < 1e-5, `element ${i}`);
});

test('a kernel set without the accumulating product adds a regulariser\'s gradient too (the scratch fallback)', () => {
  const spec = {
    inputShape: [12],
    layers: [
      { type: 'dense', units: 20, activation: 'relu', kernelRegularizer: { type: 'l2', l2: 0.5 } },
      { type: 'dense', units: 4, activation: 'softmax' },
    ],
  };
  const grads = (kernels: typeof PLAIN_KERNELS | typeof plainKernels): Float32Array => {
    const m = Sequential.fromSpec(spec, { seed: 4, kernels });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    m.computeGradients(x, y, batch);
    return m.storage.grads.slice();
  };
  const reference = grads(plainKernels);
  const minimal = grads(PLAIN_KERNELS);
  let d = 0;
  for (let i = 0; i < reference.length; i++) d = Math.max(d, Math.abs(reference[i] - minimal[i]));
  assert.ok(d < 1e-6, `largest difference ${d}`);
});
