/**
 * A weight update still running on another thread, front to back (Sequential.setPendingUpdate
 * with a progress wait): the forward waits layer by layer, a dense layer block by block of
 * output units, each before it reads those weights, and the results are bit-identical to a
 * forward after the whole update. With a non-blocking `ready`, the blocks already final go
 * in one product (the deferred protocol: the units this thread updated itself).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Sequential } from '../../src/engine/index.ts';
import { kernels as wasmKernels, plainKernels } from '../../src/engine/kernels/wasm/index.ts';

const spec = {
  inputShape: [24],
  layers: [
    { type: 'dense', units: 40, activation: 'relu' },
    { type: 'dropout', rate: 0 },
    { type: 'dense', units: 7, activation: 'softmax' },
  ],
};
const batch = 9;
const rng = new Rng(5);
const x = new Float32Array(batch * 24).map(() => rng.normal());
const y = new Float32Array(batch).map(() => rng.int(7));

/** Products z = x·Wᵀ the model's layers asked for (matmulRowsNT), as [rows, units] per call. */
const ntCalls: [number, number][] = [];

function compiled(plain = false): Sequential {
  const base = plain ? plainKernels : wasmKernels;
  const counting = {
    ...base,
    matmulRowsNT: (...a: Parameters<typeof base.matmulRowsNT>) => {
      ntCalls.push([a[3], a[5]]);
      base.matmulRowsNT(...a);
    },
  };
  const m = Sequential.fromSpec(spec, { seed: 3, kernels: counting });
  m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
  return m;
}

/** Flat [start, end) of each parameter of `m`, by name. */
function ranges(m: Sequential): Map<string, [number, number]> {
  const base = m.storage.values.byteOffset;
  return new Map(m.params.map((p) => {
    const a = (p.value.byteOffset - base) / 4;
    return [p.name, [a, a + p.value.length]];
  }));
}

for (const kernels of ['wasm', 'plain'] as const) test(`a forward behind a front-to-back update waits for each block of weights before reading it, with the same result (${kernels} kernels)`, () => {
  const reference = compiled(kernels === 'plain');
  const expected = reference.forward(x, batch, false).slice();
  const m = compiled(kernels === 'plain');
  const r = ranges(m);
  const total = m.paramCount;
  // The "update": weights become final only as progress reaches them. Poison what is not yet
  // final, restore it when the forward asks for it: a read ahead of its wait shows up as NaN.
  const values = m.storage.values;
  const truth = values.slice();
  values.fill(Number.NaN);
  let done = 0;
  const asked: number[] = [];
  let settled = 0;
  m.setPendingUpdate(() => {
    settled++;
  }, (e) => {
    asked.push(e);
    if (e > done) {
      values.set(truth.subarray(done, e), done);
      done = e;
    }
  });
  const out = m.forward(x, batch, false);
  assert.deepEqual(Array.from(out), Array.from(expected), 'bit-identical to the forward after the whole update');
  for (let i = 1; i < asked.length; i++) assert.ok(asked[i] >= asked[i - 1], `waits move forward: ${asked.join(', ')}`);
  assert.equal(asked[asked.length - 1], total, 'the forward ends having waited for every parameter');
  const [w0, w1] = r.get('layers.0.weight') as [number, number];
  // 40 units in blocks of 16: three waits inside the first layer's weight, at unit 16, 32 and 40.
  assert.deepEqual(asked.filter((e) => e > w0 && e <= w1), [w0 + 16 * 24, w0 + 32 * 24, w1]);
  assert.equal(settled, 0, 'the forward did not wait for the whole update at its start');
});

test('computeGradients behind a pending update zeroes the gradients after the forward (the update reads them until then)', () => {
  const plain = compiled();
  const lossPlain = plain.computeGradients(x, y, batch);
  const expected = plain.storage.grads.slice();
  const m = compiled();
  const grads = m.storage.grads;
  grads.fill(7);
  let sawGradsAtEnd = Number.NaN;
  m.setPendingUpdate(() => undefined, (e) => {
    if (e === m.paramCount) sawGradsAtEnd = grads[0];
  });
  const loss = m.computeGradients(x, y, batch);
  assert.equal(sawGradsAtEnd, 7, 'the gradients were untouched while the update could still read them');
  assert.equal(loss, lossPlain);
  assert.deepEqual(Array.from(grads), Array.from(expected));
});

for (const kernels of ['wasm', 'plain'] as const) test(`with ready(e), a dense layer takes every block already final in one product and waits only past them (${kernels} kernels)`, () => {
  const reference = compiled(kernels === 'plain');
  const expected = reference.forward(x, batch, false).slice();
  const m = compiled(kernels === 'plain');
  const r = ranges(m);
  const [w0, w1] = r.get('layers.0.weight') as [number, number];
  const values = m.storage.values;
  const truth = values.slice();
  // The first 32 of the first layer's 40 units are final (this thread updated them); the rest
  // of the parameters are poisoned until the forward waits for them.
  let done = w0 + 32 * 24;
  values.fill(Number.NaN, done);
  const asked: number[] = [];
  const readyAsked: number[] = [];
  m.setPendingUpdate(() => undefined, (e) => {
    asked.push(e);
    if (e > done) {
      values.set(truth.subarray(done, e), done);
      done = e;
    }
  }, (e) => {
    readyAsked.push(e);
    return e <= done;
  });
  ntCalls.length = 0;
  const out = m.forward(x, batch, false);
  assert.deepEqual(Array.from(out), Array.from(expected), 'bit-identical to the forward after the whole update');
  assert.deepEqual(ntCalls, [[batch, 32], [batch, 8], [batch, 7]], 'the first layer in two products (the ready units, then the rest), the second in one');
  // Units 0-31 in one product without a blocking wait past them; then a wait for 32-39.
  assert.deepEqual(asked.filter((e) => e > w0 && e <= w1), [w0 + 16 * 24, w1]);
  assert.ok(readyAsked.includes(w0 + 32 * 24), `asked whether units up to 32 were ready: ${readyAsked.join(', ')}`);
  assert.equal(asked[asked.length - 1], m.paramCount, 'the forward ends having waited for every parameter');
});

test('with ready(e) saying the whole update is done, a dense layer runs its forward as one product', () => {
  const reference = compiled();
  const expected = reference.forward(x, batch, false).slice();
  const m = compiled();
  const [w0, w1] = ranges(m).get('layers.0.weight') as [number, number];
  const asked: number[] = [];
  m.setPendingUpdate(() => undefined, (e) => asked.push(e), () => true);
  ntCalls.length = 0;
  const out = m.forward(x, batch, false);
  assert.deepEqual(Array.from(out), Array.from(expected));
  assert.deepEqual(ntCalls, [[batch, 40], [batch, 7]], 'one product per layer');
  assert.deepEqual(asked.filter((e) => e > w0 && e < w1), [], 'no wait inside the first layer\'s weight');
});
