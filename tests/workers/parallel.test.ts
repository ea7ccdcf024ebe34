/**
 * Data-parallel training over threads (src/workers/parallel): 2 threads follow the
 * single-thread loss trajectory within float tolerance; a fixed seed and thread count is
 * bit-reproducible; close() ends every helper's session (the pool: parallel-pool.test.ts); a
 * helper's error surfaces in fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Sequential, type Callback } from '../../src/engine/index.ts';
import {
  ParallelTrainer, ParallelTrainingError, closeIdleHelpers, fitParallel, idleHelperCount, type ParallelProtocol,
} from '../../src/workers/parallel/index.ts';

const spec = {
  inputShape: [20],
  layers: [
    // 48 hidden units: the unit split's 16-unit blocks for up to 3 threads.
    { type: 'dense', units: 48, activation: 'relu' },
    { type: 'dense', units: 5, activation: 'softmax' },
  ],
};
const N = 20 * 32;
const rng = new Rng(11);
const x = new Float32Array(N * 20).map(() => rng.normal());
const y = new Float32Array(N).map(() => rng.int(5));

const ADAM = { type: 'adam', learningRate: 0.01 };

function model(s: unknown = spec, optimizer: unknown = ADAM): Sequential {
  const m = Sequential.fromSpec(s, { seed: 21 });
  m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** Per-step losses of one epoch of 20 steps (batch 32). */
async function trajectory(threads: number, s: unknown = spec, optimizer: unknown = ADAM, protocol: ParallelProtocol = 'rowSplit'): Promise<{ losses: number[]; weights: Float32Array; accuracy: number }> {
  const m = model(s, optimizer);
  const losses: number[] = [];
  let last = 0;
  const cb: Callback = {
    onBatchEnd(b, logs) {
      // logs.loss is the running mean: recover each step's loss.
      const step = logs.loss * (b + 1) - last;
      last = logs.loss * (b + 1);
      losses.push(step);
    },
  };
  const h = await fitParallel(m, { data: x, shape: [N, 20] }, { data: y, shape: [N] }, { threads, protocol, batchSize: 32, epochs: 1, callbacks: cb });
  return { losses, weights: m.getWeights(), accuracy: h.history.accuracy[0] };
}

test('the deferred protocol is the default for an MLP, the row split for other models; the unit split and the row split when asked', async () => {
  const deeper = { ...spec, layers: [spec.layers[0], { type: 'dense', units: 16, activation: 'relu' }, spec.layers[1]] };
  const regularized = { ...spec, layers: [{ ...spec.layers[0], kernelRegularizer: 'l2' }, spec.layers[1]] };
  for (const [name, s] of [['one hidden layer', spec], ['two hidden layers', deeper], ['a regularizer', regularized]] as const) {
    const t = await ParallelTrainer.create(model(s), { threads: 2, batchSize: 32 });
    assert.equal(t.protocol, 'deferred', name);
    assert.equal(t.inputBuffers, 2);
    await t.close();
  }
  const withDropout = { ...spec, layers: [spec.layers[0], { type: 'dropout', rate: 0.3 }, spec.layers[1]] };
  const r = await ParallelTrainer.create(model(withDropout), { threads: 2, batchSize: 32 });
  assert.equal(r.protocol, 'rowSplit', 'dropout cannot defer: the row split runs');
  assert.equal(r.inputBuffers, 1);
  await r.close();
  const asked = await ParallelTrainer.create(model(), { threads: 2, batchSize: 32, protocol: 'rowSplit' });
  assert.equal(asked.protocol, 'rowSplit');
  await asked.close();
  const u = await ParallelTrainer.create(model(), { threads: 2, batchSize: 32, protocol: 'unitSplit' });
  assert.equal(u.protocol, 'unitSplit');
  assert.equal(u.inputBuffers, 2);
  await u.close();
  // The unit split's own limits: the row split runs instead.
  const narrow = { ...spec, layers: [{ ...spec.layers[0], units: 24 }, spec.layers[1]] };
  for (const [name, s, threads] of [['two hidden layers', deeper, 2], ['a regularizer', regularized, 2], ['24 hidden units on 2 threads', narrow, 2], ['48 hidden units on 4 threads', spec, 4]] as const) {
    const o = await ParallelTrainer.create(model(s), { threads, batchSize: 32, protocol: 'unitSplit' });
    assert.equal(o.protocol, 'rowSplit', name);
    await o.close();
  }
});

test('deferred protocol: 2 and 3 threads give exactly the 1-thread losses, weights and metrics', async () => {
  const one = await trajectory(1);
  for (const threads of [2, 3]) {
    const many = await trajectory(threads, spec, ADAM, 'deferred');
    assert.deepEqual(many.losses, one.losses, `${threads} threads: the losses`);
    assert.deepEqual(many.weights, one.weights, `${threads} threads: the weights`);
    assert.equal(many.accuracy, one.accuracy);
  }
});

test('deferred protocol: regularisers, a rescaling first layer and 320-row batches give the 1-thread result too', async () => {
  const regularized = {
    inputShape: [20],
    layers: [
      { type: 'rescaling', scale: 0.5, offset: 0.1 },
      { type: 'dense', units: 32, activation: 'relu', kernelRegularizer: 'l2', biasRegularizer: { type: 'l1l2', l1: 0.001, l2: 0.01 } },
      { type: 'dense', units: 5, activation: 'softmax', kernelRegularizer: { type: 'l1', l1: 0.001 } },
    ],
  };
  const run = async (threads: number): Promise<{ weights: Float32Array; loss: number[] }> => {
    const m = model(regularized);
    const h = await fitParallel(m, { data: x, shape: [N, 20] }, { data: y, shape: [N] }, { threads, batchSize: 320, epochs: 3, protocol: 'deferred' });
    return { weights: m.getWeights(), loss: h.history.loss };
  };
  const one = await run(1);
  for (const threads of [2, 3]) {
    const many = await run(threads);
    assert.deepEqual(many.loss, one.loss, `${threads} threads: the losses`);
    assert.deepEqual(many.weights, one.weights, `${threads} threads: the weights`);
  }
  const t = await ParallelTrainer.create(model(regularized), { threads: 2, batchSize: 320, protocol: 'deferred' });
  assert.equal(t.protocol, 'deferred');
  await t.close();
});

test('deferred protocol: batches of 1 to 4 rows and a short last batch (a thread with no rows of its own) give the 1-thread result', async () => {
  const n = 37;
  const xs = { data: x.subarray(0, n * 20), shape: [n, 20] };
  const ys = { data: y.subarray(0, n), shape: [n] };
  for (const batchSize of [1, 2, 4, 16]) {
    const one = model();
    const h1 = await one.fit(xs, ys, { batchSize, epochs: 2 });
    // Then with the helper made slow before its rows (not its update), so the speed split
    // leaves it no rows of these tiny batches: which thread gets none otherwise depends on
    // the machine's timing.
    for (const fault of batchSize <= 4 ? [undefined, { kind: 'slowCompute' as const, ms: 1 }] : [undefined]) {
      const m = model();
      const t = await ParallelTrainer.create(m, { threads: 2, batchSize, protocol: 'deferred', deferredSplit: 'rows', ...(fault ? { fault } : {}) });
      const bounds = new Set<string>();
      try {
        const h2 = await m.fit(xs, ys, { batchSize, epochs: 2, gradients: t, callbacks: { onBatchEnd: () => void bounds.add(t.rowBounds.join(',')) } });
        assert.deepEqual(h2.history, h1.history, `batch ${batchSize}: the losses and metrics`);
      } finally {
        await t.close();
      }
      assert.deepEqual(m.getWeights(), one.getWeights(), `batch ${batchSize}: the weights`);
      if (fault) assert.ok([...bounds].some((b) => b.split(',')[1] === b.split(',')[2]), `batch ${batchSize}: some step left the helper no rows (${[...bounds].join(' | ')})`);
    }
  }
});

test('deferred protocol: a slower helper gets fewer rows, and the results stay the 1-thread ones', async () => {
  const one = await trajectory(1);
  const m = model();
  // The helper sleeps 2 ms before each command: its measured time per row is far above the
  // main thread's. Its weight gradients then start while fit gathers the next batch, so this
  // also fails if fit stops alternating its two input buffers (inputBuffers).
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, fault: { kind: 'slow', ms: 2 }, protocol: 'deferred' });
  try {
    await m.fit({ data: x, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, gradients: t, shuffle: true });
    const [, helperStart, end] = t.rowBounds;
    assert.equal(end, 32);
    assert.ok(helperStart >= 24, `the main thread takes most rows (${helperStart} of 32)`);
  } finally {
    await t.close();
  }
  assert.deepEqual(m.getWeights(), one.weights);
});

test('row-split protocol: 2 threads follow the 1-thread loss trajectory over 20 steps', async () => {
  const one = await trajectory(1);
  const two = await trajectory(2, spec, ADAM, 'rowSplit');
  assert.equal(one.losses.length, 20);
  assert.equal(two.losses.length, 20);
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(one.losses[i] - two.losses[i]) < 1e-4, `step ${i}: ${one.losses[i]} vs ${two.losses[i]}`);
  let d = 0;
  for (let i = 0; i < one.weights.length; i++) d = Math.max(d, Math.abs(one.weights[i] - two.weights[i]));
  assert.ok(d < 1e-3, `weights differ by ${d}`);
  assert.ok(Math.abs(one.accuracy - two.accuracy) < 0.01, 'the metrics see every slice\'s predictions');
});

test('row-split protocol: 3 threads (two helpers, each updating half the weights the other reads) follow the 1-thread trajectory too', async () => {
  const one = await trajectory(1);
  const three = await trajectory(3, spec, ADAM, 'rowSplit');
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(one.losses[i] - three.losses[i]) < 1e-4, `step ${i}: ${one.losses[i]} vs ${three.losses[i]}`);
  let d = 0;
  for (let i = 0; i < one.weights.length; i++) d = Math.max(d, Math.abs(one.weights[i] - three.weights[i]));
  assert.ok(d < 1e-3, `weights differ by ${d}`);
});

test('unit-split protocol: 2 and 3 threads follow the 1-thread trajectory, and a fixed seed and thread count is bit-reproducible', async () => {
  const one = await trajectory(1);
  for (const threads of [2, 3]) {
    const many = await trajectory(threads, spec, ADAM, 'unitSplit');
    const again = await trajectory(threads, spec, ADAM, 'unitSplit');
    assert.deepEqual(many.weights, again.weights, `${threads} threads: reproducible`);
    assert.deepEqual(many.losses, again.losses);
    for (let i = 0; i < 20; i++) assert.ok(Math.abs(one.losses[i] - many.losses[i]) < 1e-5, `${threads} threads, step ${i}: ${one.losses[i]} vs ${many.losses[i]}`);
    let d = 0;
    for (let i = 0; i < one.weights.length; i++) d = Math.max(d, Math.abs(one.weights[i] - many.weights[i]));
    assert.ok(d > 0 && d < 1e-4, `${threads} threads: weights differ by ${d} (summed in parts: float rounding, not 0)`);
    assert.equal(many.accuracy, one.accuracy, 'the metrics see the whole batch\'s output');
  }
});

for (const protocol of ['unitSplit', 'deferred'] as const) test(`${protocol} protocol: a caller driving trainStep with arrays outside the shared memory gets the same weights however late the helper runs`, async () => {
  const weightsAfter = async (fault?: { kind: 'slow'; ms: number }): Promise<Float32Array> => {
    const m = model();
    const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, protocol, ...(fault ? { fault } : {}) });
    assert.equal(t.protocol, protocol);
    try {
      // One plain array reused for every batch, as a hand-written loop would.
      const xb = new Float32Array(32 * 20);
      for (let b = 0; b < 3; b++) {
        xb.set(x.subarray(b * 32 * 20, (b + 1) * 32 * 20));
        m.trainStep(xb, y.subarray(b * 32, (b + 1) * 32), 32, null, 0, t);
      }
      return m.getWeights();
    } finally {
      await t.close();
    }
  };
  // The slow helper starts each step's update 30 ms late, after the next batch was copied
  // (deferred: unless the trainer waits for it before copying the next batch over the last).
  assert.deepEqual(await weightsAfter({ kind: 'slow', ms: 30 }), await weightsAfter());
});

test('unit-split protocol: parameter-free layers before the hidden one, a loss not fused with the output, SGD with momentum and class weights', async () => {
  const s = {
    inputShape: [4, 5],
    layers: [
      { type: 'rescaling', scale: 0.5, offset: 0.1 },
      { type: 'flatten' },
      { type: 'dense', units: 32, activation: 'tanh' },
      { type: 'dense', units: 5, activation: 'sigmoid' },
    ],
  };
  const sgd = { type: 'sgd', learningRate: 0.05, momentum: 0.9 };
  const run = async (threads: number): Promise<{ loss: number[]; weights: Float32Array; protocol: string | null }> => {
    const m = Sequential.fromSpec(s, { seed: 5 });
    m.compile({ optimizer: sgd, loss: 'binaryCrossentropy', metrics: ['binaryAccuracy'] });
    const t = threads > 1 ? await ParallelTrainer.create(m, { threads, batchSize: 32, protocol: 'unitSplit' }) : null;
    try {
      const yb = new Float32Array(N * 5).map((_, i) => (y[Math.floor(i / 5)] === i % 5 ? 1 : 0));
      const h = await m.fit({ data: x, shape: [N, 4, 5] }, { data: yb, shape: [N, 5] }, { batchSize: 32, epochs: 2, classWeight: { 0: 2, 1: 0.5 }, ...(t ? { gradients: t } : {}) });
      return { loss: h.history.loss, weights: m.getWeights(), protocol: t?.protocol ?? null };
    } finally {
      await t?.close();
    }
  };
  const one = await run(1);
  const two = await run(2);
  assert.equal(two.protocol, 'unitSplit');
  for (let e = 0; e < 2; e++) assert.ok(Math.abs(one.loss[e] - two.loss[e]) < 1e-5, `epoch ${e}: ${one.loss[e]} vs ${two.loss[e]}`);
  let d = 0;
  for (let i = 0; i < one.weights.length; i++) d = Math.max(d, Math.abs(one.weights[i] - two.weights[i]));
  assert.ok(d < 1e-4, `weights differ by ${d}`);
});

test('an optimizer that cannot be split (clipnorm) steps on the calling thread, with the same result', async () => {
  const clipped = { type: 'rmsprop', learningRate: 0.01, clipnorm: 0.5 };
  const m = model(spec, clipped);
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32 });
  assert.equal(t.splitStep, false);
  await t.close();
  const one = await trajectory(1, spec, clipped);
  const two = await trajectory(2, spec, clipped);
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(one.losses[i] - two.losses[i]) < 1e-4, `step ${i}: ${one.losses[i]} vs ${two.losses[i]}`);
});

test('a fixed seed and thread count is bit-reproducible (with dropout)', async () => {
  const withDropout = { ...spec, layers: [spec.layers[0], { type: 'dropout', rate: 0.3 }, spec.layers[1]] };
  const a = await trajectory(2, withDropout);
  const b = await trajectory(2, withDropout);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.weights, b.weights);
  const c = await trajectory(3, spec, ADAM, 'rowSplit');
  const d = await trajectory(3, spec, ADAM, 'rowSplit');
  assert.deepEqual(c.weights, d.weights);
});

for (const protocol of ['deferred', 'rowSplit', 'unitSplit'] as const) {
  test(`${protocol} protocol: a batch smaller than the thread count and a short last batch work`, async () => {
    const m = model();
    const t = await ParallelTrainer.create(m, { threads: 3, batchSize: 7, protocol });
    assert.equal(t.protocol, protocol);
    try {
      const h = await m.fit({ data: x.subarray(0, 9 * 20), shape: [9, 20] }, { data: y.subarray(0, 9), shape: [9] }, { batchSize: 7, gradients: t });
      assert.ok(Number.isFinite(h.history.loss[0]));
      // A caller driving trainStep itself (the deferred protocol: alternating input buffers, here arrays outside the shared memory).
      const l = m.trainStep(x, y, 2, null, 0, t);
      assert.ok(Number.isFinite(l));
      assert.throws(() => t.computeGradients(x, y, 8, null), ParallelTrainingError);
    } finally {
      await t.close();
    }
  });

  test(`${protocol} protocol: close() ends the helpers' sessions (they wait in the pool); a closed trainer refuses work`, async () => {
    const m = model();
    const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, protocol });
    assert.equal(t.splitStep, true);
    assert.equal(t.protocol, protocol);
    await m.fit({ data: x.subarray(0, 64 * 20), shape: [64, 20] }, { data: y.subarray(0, 64), shape: [64] }, { batchSize: 32, gradients: t });
    const workers = (t as unknown as { workers: { threadId: number }[] }).workers;
    assert.equal(workers.length, 1);
    const w = workers[0];
    await t.close();
    assert.notEqual(w.threadId, -1, 'the helper waits for the next trainer');
    assert.ok(idleHelperCount() >= 1);
    assert.throws(() => t.computeGradients(x, y, 32, null), /closed/);
    await t.close();
    await closeIdleHelpers();
    assert.equal(w.threadId, -1, 'closeIdleHelpers ends it');
    assert.equal(idleHelperCount(), 0);
  });

  test(`${protocol} protocol: an error in a helper thread surfaces as a ParallelTrainingError from fit`, async () => {
    const m = model();
    const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, fault: { atCommand: 3, kind: 'throw' }, protocol });
    try {
      await assert.rejects(
        m.fit({ data: x, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, gradients: t }),
        (e: unknown) => e instanceof ParallelTrainingError && /helper thread 1: Error: helper 1: injected failure at command 3/.test(e.message),
      );
      // Commands: compute, step (batch 1), compute (batch 2: fails, not applied).
      assert.equal(m.progress.step, 1, 'the failing step is not applied');
    } finally {
      await t.close();
    }
  });
}

for (const protocol of ['deferred', 'rowSplit', 'unitSplit'] as const) {
  test(`${protocol} protocol: an error in a helper during the optimizer update surfaces from the next batch, which is not applied`, async () => {
    const m = model();
    // Commands: compute, step (batch 1: fails), compute (batch 2: waits for the update first).
    const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, fault: { atCommand: 2, kind: 'throw' }, protocol });
    assert.equal(t.protocol, protocol);
    try {
      await assert.rejects(
        m.fit({ data: x, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, gradients: t }),
        (e: unknown) => e instanceof ParallelTrainingError && /injected failure at command 2/.test(e.message),
      );
      assert.equal(m.progress.step, 1);
      assert.throws(() => t.computeGradients(x, y, 32, null), /during the optimizer update/, 'a trainer whose update failed keeps refusing');
    } finally {
      await t.close();
    }
  });
}

for (const protocol of ['deferred', 'unitSplit'] as const) test(`${protocol} protocol: an update that fails on the calling thread fails the step, and the trainer refuses more work`, async () => {
  const m = model();
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, protocol });
  assert.equal(t.protocol, protocol);
  try {
    m.trainStep(x.subarray(0, 32 * 20), y.subarray(0, 32), 32, null, 0, t);
    const optimizer = m.optimizer as NonNullable<typeof m.optimizer>;
    optimizer.updateRange = () => {
      throw new Error('injected update failure');
    };
    assert.throws(() => m.trainStep(x.subarray(32 * 20, 64 * 20), y.subarray(32, 64), 32, null, 0, t), /injected update failure/);
    assert.equal(m.progress.step, 1, 'the failing step is not counted');
    assert.throws(() => t.computeGradients(x, y, 32, null), /the optimizer update failed on the calling thread: injected update failure/);
  } finally {
    await t.close();
  }
});

for (const protocol of ['deferred', 'rowSplit', 'unitSplit'] as const) {
  test(`${protocol} protocol: a helper thread that dies (process.exit) wakes the main thread with a ParallelTrainingError`, async () => {
    const m = model();
    const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, fault: { atCommand: 4, kind: 'exit' }, protocol });
    try {
      await assert.rejects(
        m.fit({ data: x, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, gradients: t }),
        (e: unknown) => e instanceof ParallelTrainingError && /helper 1 exited unexpectedly/.test(e.message),
      );
      assert.throws(() => t.computeGradients(x, y, 32, null), /helper/);
    } finally {
      await t.close();
    }
  });
}

test('models with batchNormalization are refused for more than one thread', async () => {
  const bn = { ...spec, layers: [spec.layers[0], { type: 'batchNormalization' }, spec.layers[1]] };
  await assert.rejects(ParallelTrainer.create(model(bn), { threads: 2, batchSize: 32 }), /batchNormalization/);
  const t = await ParallelTrainer.create(model(bn), { threads: 1, batchSize: 32 });
  await t.close();
});
