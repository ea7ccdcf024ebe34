/**
 * Data-parallel gradients in one thread: replicas attached to the same weights (each with
 * its own gradient array) compute slices of a batch with `computeGradients(..., { batch,
 * regularize })`; summing their gradients in a fixed order and stepping once agrees with
 * one full-batch step up to float rounding. And the GradientStrategy seam of fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Sequential, sharedFloat32, type GradientStrategy } from '../../src/engine/index.ts';

const spec = {
  inputShape: [12],
  layers: [
    { type: 'dense', units: 16, activation: 'relu', kernelRegularizer: { type: 'l2', l2: 0.01 } },
    { type: 'dense', units: 4, activation: 'softmax' },
  ],
};

function data(n: number, seed: number): { x: Float32Array; y: Float32Array; w: Float32Array } {
  const r = new Rng(seed);
  const x = new Float32Array(n * 12).map(() => r.normal());
  const y = new Float32Array(n).map(() => r.int(4));
  const w = new Float32Array(n).map(() => 0.5 + r.float());
  return { x, y, w };
}

function compiled(options: Parameters<typeof Sequential.fromSpec>[1]): Sequential {
  const m = Sequential.fromSpec(spec, options);
  m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  return m;
}

/** Slices of `batch` rows over `k` replicas, reduced into replicas[0]'s grads in order. */
function sliced(replicas: Sequential[], batch: number): GradientStrategy & { lastOutput: Float32Array } {
  const out = new Float32Array(batch * 4);
  return {
    lastOutput: out,
    computeGradients(xb, yb, cnt, wb) {
      let loss = 0;
      const k = replicas.length;
      for (let r = 0; r < k; r++) {
        const s = Math.floor((r * cnt) / k);
        const e = Math.floor(((r + 1) * cnt) / k);
        loss += replicas[r].computeGradients(xb.subarray(s * 12, e * 12), yb.subarray(s, e), e - s, wb ? wb.subarray(s, e) : null, true, { batch: cnt, regularize: r === 0 });
        out.set(replicas[r].lastOutput.subarray(0, (e - s) * 4), s * 4);
      }
      const g = replicas[0].storage.grads;
      for (let r = 1; r < k; r++) {
        const gr = replicas[r].storage.grads;
        for (let i = 0; i < g.length; i++) g[i] += gr[i];
      }
      return loss;
    },
  };
}

test('slice gradients: 1 model vs 2 replicas on shared weights agree to float rounding over 20 steps', () => {
  const { x, y, w } = data(40, 7);
  const a = compiled({ seed: 5 });
  const b = compiled({ seed: 5 });
  const r = compiled({ seed: 5, storage: { values: b.storage.values, bufferValues: b.storage.bufferValues } });
  assert.notEqual(r.storage.grads, b.storage.grads);
  const strategy = sliced([b, r], 40);
  for (let step = 0; step < 20; step++) {
    const la = a.trainStep(x, y, 40, w, 0);
    const lb = b.trainStep(x, y, 40, w, 0, strategy);
    assert.ok(Math.abs(la - lb) < 1e-5 * Math.max(1, Math.abs(la)), `step ${step}: loss ${la} vs ${lb}`);
  }
  const wa = a.getWeights();
  const wb = b.getWeights();
  let maxDiff = 0;
  for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i] - wb[i]));
  assert.ok(maxDiff < 1e-4, `weights differ by ${maxDiff}`);
  assert.deepEqual(r.getWeights(), wb, 'the replica sees the shared weights');
});

test('slice gradients: the summed slices equal the full batch gradient (odd split, with regularisation)', () => {
  const { x, y } = data(13, 3);
  const a = compiled({ seed: 9 });
  const b = compiled({ seed: 9 });
  const r1 = compiled({ seed: 9, storage: { values: b.storage.values, bufferValues: b.storage.bufferValues } });
  const r2 = compiled({ seed: 9, storage: { values: b.storage.values, bufferValues: b.storage.bufferValues, grads: sharedFloat32(b.paramCount) } });
  const la = a.computeGradients(x, y, 13);
  const lb = sliced([b, r1, r2], 13).computeGradients(x, y, 13, null);
  assert.ok(Math.abs(la - lb) < 1e-6, `${la} vs ${lb}`);
  const ga = a.storage.grads;
  const gb = b.storage.grads;
  for (let i = 0; i < ga.length; i++) assert.ok(Math.abs(ga[i] - gb[i]) < 1e-6, `grad ${i}: ${ga[i]} vs ${gb[i]}`);
});

test('computeGradients refuses a slice.batch smaller than the slice', () => {
  const { x, y } = data(4, 1);
  const m = compiled({ seed: 1 });
  assert.throws(() => m.computeGradients(x, y, 4, null, true, { batch: 3, regularize: true }), /slice\.batch/);
});

test('fit with a GradientStrategy uses it for every batch and its lastOutput for the metrics', async () => {
  const { x, y } = data(30, 2);
  const a = compiled({ seed: 4 });
  const b = compiled({ seed: 4 });
  a.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  b.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const r = compiled({ seed: 4, storage: { values: b.storage.values, bufferValues: b.storage.bufferValues } });
  const inner = sliced([b, r], 10);
  let calls = 0;
  const strategy: GradientStrategy = {
    get lastOutput() {
      return inner.lastOutput;
    },
    computeGradients(...args) {
      calls++;
      return inner.computeGradients(...args);
    },
  };
  const ha = await a.fit({ data: x, shape: [30, 12] }, { data: y, shape: [30] }, { epochs: 2, batchSize: 10 });
  const hb = await b.fit({ data: x, shape: [30, 12] }, { data: y, shape: [30] }, { epochs: 2, batchSize: 10, gradients: strategy });
  assert.equal(calls, 6);
  for (let e = 0; e < 2; e++) {
    assert.ok(Math.abs(ha.history.loss[e] - hb.history.loss[e]) < 1e-5);
    assert.equal(ha.history.accuracy[e], hb.history.accuracy[e]);
  }
});
