/**
 * Warm helper threads (src/workers/parallel/helperPool.ts): a trainer's helpers go back to
 * the thread's pool when it closes cleanly, and the next trainer takes them. A warm helper
 * gives the same weights, bit for bit, as a new one (nothing of an earlier session leaks
 * into the next); one that failed is not kept; the shared memory stays the same size over
 * trainer after trainer (a new helper per trainer lost its replica's blocks); idle helpers
 * do not keep a process alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, Sequential, defaultWasmKernels } from '../../src/engine/index.ts';
import { plainKernels } from '../../src/engine/kernels/wasm/index.ts';
import { ParallelTrainer, closeIdleHelpers, idleHelperCount, type ParallelProtocol } from '../../src/workers/parallel/index.ts';

const DENSE = {
  inputShape: [20],
  layers: [
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 5, activation: 'softmax' },
  ],
};
const CONV = {
  inputShape: [6, 6, 2],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPooling2d' },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 5, activation: 'softmax' },
  ],
};
const N = 4 * 32;
const rng = new Rng(5);
const x20 = new Float32Array(N * 20).map(() => rng.normal());
const x72 = new Float32Array(N * 72).map(() => rng.normal());
const y = new Float32Array(N).map(() => rng.int(5));

type Workers = { workers: { threadId: number }[] };
const threadIds = (t: ParallelTrainer): number[] => (t as unknown as Workers).workers.map((w) => w.threadId);

/** Fits `spec` for two epochs on 2 threads; returns the weights and the helper's thread id. */
async function train(spec: typeof DENSE | typeof CONV, protocol: ParallelProtocol, options: { plain?: boolean } = {}): Promise<{ weights: Float32Array; helper: number }> {
  const m = Sequential.fromSpec(spec, { seed: 3, ...(options.plain ? { kernels: plainKernels } : {}) });
  m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, protocol });
  const [helper] = threadIds(t);
  try {
    const x = spec === DENSE ? x20 : x72;
    await m.fit({ data: x, shape: [N, ...spec.inputShape] }, { data: y, shape: [N] }, { batchSize: 32, epochs: 2, gradients: t });
  } finally {
    await t.close();
  }
  const weights = m.getWeights();
  m.dispose();
  return { weights, helper };
}

for (const protocol of ['rowSplit', 'deferred'] as const) {
  test(`${protocol}: a warm helper gives the weights a new one gives, bit for bit, after sessions with other models`, async () => {
    await closeIdleHelpers();
    const denseFresh = await train(DENSE, protocol);
    assert.equal(idleHelperCount(), 1, 'the helper went back to the pool');
    await closeIdleHelpers();
    const convFresh = await train(CONV, protocol);
    // Sessions on that helper: a model outside the wasm memory (plain kernels: plain
    // SharedArrayBuffers), then each model again.
    const plain = await train(DENSE, protocol, { plain: true });
    const denseWarm = await train(DENSE, protocol);
    const convWarm = await train(CONV, protocol);
    assert.notEqual(convFresh.helper, denseFresh.helper, 'closeIdleHelpers ended the first helper');
    assert.deepEqual([plain.helper, denseWarm.helper, convWarm.helper], [convFresh.helper, convFresh.helper, convFresh.helper], 'every later trainer took the warm helper');
    assert.deepEqual(denseWarm.weights, denseFresh.weights);
    // The conv model has dropout: the warm helper's stream restarts with each session.
    assert.deepEqual(convWarm.weights, convFresh.weights);
    await closeIdleHelpers();
  });
}

test('a warm helper that fails a command is terminated, not kept; so is one with other kernels', async () => {
  await closeIdleHelpers();
  const { helper } = await train(DENSE, 'rowSplit');
  const m = Sequential.fromSpec(DENSE, { seed: 3 });
  m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  // The helper's own command throws: only the helper's report (a session that did not end
  // clean) tells the trainer not to keep it.
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32, fault: { atCommand: 3, kind: 'throw' } });
  const w = (t as unknown as Workers).workers[0];
  assert.equal(w.threadId, helper, 'the trainer took the warm helper');
  await assert.rejects(m.fit({ data: x20, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, gradients: t }), /injected failure/);
  await t.close();
  assert.equal(w.threadId, -1);
  assert.equal(idleHelperCount(), 0);

  // The calling thread's part of an update fails: the trainer is broken, its helper not kept.
  await train(DENSE, 'rowSplit');
  const m2 = Sequential.fromSpec(DENSE, { seed: 3 });
  m2.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  const t2 = await ParallelTrainer.create(m2, { threads: 2, batchSize: 32, protocol: 'deferred' });
  const w2 = (t2 as unknown as Workers).workers[0];
  m2.trainStep(x20.subarray(0, 32 * 20), y.subarray(0, 32), 32, null, 0, t2);
  (m2.optimizer as NonNullable<typeof m2.optimizer>).updateRange = () => {
    throw new Error('injected update failure');
  };
  assert.throws(() => m2.trainStep(x20.subarray(32 * 20, 64 * 20), y.subarray(32, 64), 32, null, 0, t2), /injected update failure/);
  await t2.close();
  assert.equal(w2.threadId, -1);
  assert.equal(idleHelperCount(), 0);

  // A helper made to build plain SIMD128 kernels is a new thread, and is not kept.
  const warm = await train(DENSE, 'rowSplit');
  const m3 = Sequential.fromSpec(DENSE, { seed: 3 });
  m3.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  const t3 = await ParallelTrainer.create(m3, { threads: 2, batchSize: 32, fault: { kind: 'plainKernels' } }).catch(() => null);
  if (t3) {
    const w3 = (t3 as unknown as Workers).workers[0];
    assert.notEqual(w3.threadId, warm.helper);
    await t3.close();
    assert.equal(w3.threadId, -1);
  }
  assert.equal(idleHelperCount(), 1, 'the warm helper is still there');
  await closeIdleHelpers();
});

test('trainer after trainer on one thread: the shared wasm memory does not grow', async () => {
  await closeIdleHelpers();
  const sizes: number[] = [];
  for (let i = 0; i < 5; i++) {
    await train(CONV, 'rowSplit');
    sizes.push(new Int32Array(defaultWasmKernels().instance.memory.buffer, 0, 1)[0]);
  }
  // The arena's top (the i32 at address 0) after each: a new helper per trainer raised it by
  // its replica's blocks every time.
  assert.deepEqual(sizes.slice(1), [sizes[1], sizes[1], sizes[1], sizes[1]], `arena top per trainer: ${sizes.join(', ')}`);
  await closeIdleHelpers();
});

test('trainer after trainer on one model: the optimizer gives back its last shared slots, so the shared wasm memory does not grow', async () => {
  await closeIdleHelpers();
  // Wide enough (13k parameters) that the leaked slots would not fit in blocks other tests freed.
  const wide = { ...DENSE, layers: [{ ...DENSE.layers[0], units: 512 }, DENSE.layers[1]] };
  const m = Sequential.fromSpec(wide, { seed: 3 });
  m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  const tops: number[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32 });
      try {
        await m.fit({ data: x20, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, epochs: 1, gradients: t });
      } finally {
        await t.close();
      }
      tops.push(new Int32Array(defaultWasmKernels().instance.memory.buffer, 0, 1)[0]);
    }
  } finally {
    m.dispose();
  }
  // Each trainer moves Adam's slots to new shared blocks; the old ones used to stay taken
  // until the model was disposed (the arena's top rose by two parameter arrays a trainer).
  // (Blocks alternate between two places, so the top may move between them, but never past them.)
  assert.ok(Math.max(...tops.slice(3)) <= Math.max(...tops.slice(0, 3)), `arena top per trainer: ${tops.join(', ')}`);
  await closeIdleHelpers();
});

test('optimizer state restored while a trainer is alive (loadCheckpoint) reaches its helpers: the 1-thread weights still, bit for bit', async () => {
  const ck = (() => {
    const m = Sequential.fromSpec(DENSE, { seed: 9 });
    m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    return m;
  })();
  await ck.fit({ data: x20, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, epochs: 1 });
  const bytes = ck.saveCheckpoint();
  ck.dispose();
  const run = async (threads: number): Promise<Float32Array> => {
    const m = Sequential.fromSpec(DENSE, { seed: 3 });
    m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    const t = threads > 1 ? await ParallelTrainer.create(m, { threads, batchSize: 32 }) : null;
    try {
      const opts = { batchSize: 32, epochs: 1, ...(t ? { gradients: t } : {}) };
      await m.fit({ data: x20, shape: [N, 20] }, { data: y, shape: [N] }, opts);
      m.loadCheckpoint(bytes);
      await m.fit({ data: x20, shape: [N, 20] }, { data: y, shape: [N] }, { ...opts, initialEpoch: 0 });
      return m.getWeights();
    } finally {
      await t?.close();
      m.dispose();
    }
  };
  const one = await run(1);
  // The deferred protocol: exactly the 1-thread weights, if the helpers update with the restored Adam moments.
  assert.deepEqual(await run(2), one);
});

test('one live trainer per model; a checkpoint with other optimizer slots is refused while it lives (the model unchanged), and loads after close', async () => {
  const fresh = (): Sequential => {
    const m = Sequential.fromSpec(DENSE, { seed: 3 });
    m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    return m;
  };
  // Saved before any step: Adam has no slots yet.
  const empty = fresh();
  const bytes = empty.saveCheckpoint();
  empty.dispose();
  const m = fresh();
  const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 32 });
  try {
    await m.fit({ data: x20, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, epochs: 1, gradients: t });
    await assert.rejects(ParallelTrainer.create(m, { threads: 2, batchSize: 32 }), /already has a ParallelTrainer that is not closed/);
    const before = m.getWeights();
    // Restoring it would replace the slots the helper updates through: refused, before any weight is touched.
    assert.throws(() => m.loadCheckpoint(bytes), /close the ParallelTrainer before restoring this state/);
    assert.deepEqual(m.getWeights(), before);
  } finally {
    await t.close();
  }
  m.loadCheckpoint(bytes);
  const again = await ParallelTrainer.create(m, { threads: 2, batchSize: 32 });
  try {
    const h = await m.fit({ data: x20, shape: [N, 20] }, { data: y, shape: [N] }, { batchSize: 32, epochs: 1, gradients: again });
    assert.ok(Number.isFinite(h.history.loss[0]));
  } finally {
    await again.close();
    m.dispose();
  }
});

test('idle helpers do not keep the process alive', () => {
  const script = `
    import { Sequential } from ${JSON.stringify(fileURLToPath(new URL('../../src/engine/index.ts', import.meta.url)))};
    import { ParallelTrainer, idleHelperCount } from ${JSON.stringify(fileURLToPath(new URL('../../src/workers/parallel/index.ts', import.meta.url)))};
    const m = Sequential.fromSpec({ inputShape: [4], layers: [{ type: 'dense', units: 2, activation: 'softmax' }] }, { seed: 1 });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const t = await ParallelTrainer.create(m, { threads: 2, batchSize: 4 });
    await m.fit({ data: new Float32Array(32), shape: [8, 4] }, { data: new Float32Array(8), shape: [8] }, { batchSize: 4, gradients: t });
    await t.close();
    console.log('idle', idleHelperCount());
  `;
  // A file, not -e: a worker thread inherits the process's flags, and --input-type is -e's only.
  const file = join(mkdtempSync(join(tmpdir(), 'trainyard-pool-')), 'idle.mts');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.error, undefined, 'the process ended by itself (no timeout)');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /idle 1/);
});
