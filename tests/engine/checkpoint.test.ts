/** Weights (safetensors) and training checkpoints: round trips, mismatch messages, bit-identical resume. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { WeightsMismatchError } from '../../src/engine/errors.ts';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/io/safetensors.ts';
import { blobs, mlpSpec, sameBits } from './helpers/toyData.ts';

const N = 150;
const { x, y, dims } = blobs(N, 3);
const X = { data: x, shape: [N, dims] };
const Y = { data: y, shape: [N] };
const spec = mlpSpec(dims, 0.3);
const compileOpts = { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] };
const fitOpts = { batchSize: 16, validationSplit: 0.2 };

function fresh(seed = 9): Sequential {
  const m = Sequential.fromSpec(spec, { seed });
  m.compile(compileOpts);
  return m;
}

function assertAllEqual(a: Sequential, b: Sequential): void {
  for (let i = 0; i < a.params.length; i++) {
    const pa = a.params[i].value;
    const pb = b.params[i].value;
    for (let j = 0; j < pa.length; j++) {
      if (pa[j] !== pb[j]) assert.fail(`${a.params[i].name}[${j}]: ${pa[j]} !== ${pb[j]}`);
    }
  }
}

test('saveWeights writes PyTorch state_dict names and layouts; loadWeights restores them exactly', () => {
  const a = fresh(1);
  const bytes = a.saveWeights();
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(Object.keys(tensors).sort(), ['layers.0.bias', 'layers.0.weight', 'layers.2.bias', 'layers.2.weight']);
  assert.deepEqual(tensors['layers.0.weight'].shape, [16, dims]);
  assert.deepEqual(tensors['layers.2.weight'].shape, [3, 16]);
  assert.equal(tensors['layers.0.weight'].dtype, 'F32');
  assert.equal(metadata.format, 'pt');
  const b = fresh(2);
  assert.ok(!sameBits(a.getWeights(), b.getWeights()));
  b.loadWeights(bytes);
  assert.ok(sameBits(a.getWeights(), b.getWeights()));
  assert.ok(sameBits(a.predict(X).data, b.predict(X).data));
});

test('loadWeights names the mismatched tensor and both shapes, and changes nothing', () => {
  const other = Sequential.fromSpec({ inputShape: [dims], layers: [{ type: 'dense', units: 17, activation: 'relu' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 3 }] }, { seed: 1 });
  const m = fresh(1);
  const before = m.getWeights();
  assert.throws(() => m.loadWeights(other.saveWeights()), (e: unknown) => {
    assert.ok(e instanceof WeightsMismatchError);
    assert.equal(e.message, 'tensor "layers.0.weight": the model expects shape [16,6] but the file has [17,6]');
    assert.equal(e.tensor, 'layers.0.weight');
    assert.deepEqual(e.expectedShape, [16, 6]);
    assert.deepEqual(e.actualShape, [17, 6]);
    return true;
  });
  assert.ok(sameBits(before, m.getWeights()));
  const { tensors } = decodeSafetensors(m.saveWeights());
  delete tensors['layers.2.bias'];
  assert.throws(() => m.loadWeights(encodeSafetensors(tensors)), /missing tensor "layers.2.bias" \(the model expects shape \[3\]\)/);
  tensors['layers.2.bias'] = { dtype: 'F32', shape: [3], data: new Float32Array(3) };
  tensors['layers.9.weight'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
  assert.throws(() => m.loadWeights(encodeSafetensors(tensors)), /unexpected tensor "layers.9.weight" \[1\]/);
});

test('a training checkpoint holds optimizer slots, scalars, step, RNG state and progress', async () => {
  const m = fresh();
  await m.fit(X, Y, { ...fitOpts, epochs: 1 });
  const { tensors, metadata } = decodeSafetensors(m.saveCheckpoint());
  assert.ok(tensors['optimizer.layers.0.weight.exp_avg']);
  assert.deepEqual(tensors['optimizer.layers.0.weight.exp_avg_sq'].shape, [16, dims]);
  const meta = JSON.parse(metadata.trainyard);
  assert.equal(meta.optimizer.type, 'adam');
  assert.equal(meta.optimizer.step, Math.ceil(120 / 16));
  assert.equal(meta.progress.epoch, 1);
  assert.equal(meta.progress.batchInEpoch, 0);
  assert.equal(meta.rng.s.length, 4);
  // A checkpoint also loads as plain weights.
  const w = fresh(5);
  w.loadWeights(m.saveCheckpoint());
  assert.ok(sameBits(w.getWeights(), m.getWeights()));
});

test('resume from an epoch checkpoint is bit-identical: 3 epochs straight == 1 + checkpoint + fresh model + 2', async () => {
  const straight = fresh();
  const hs = await straight.fit(X, Y, { ...fitOpts, epochs: 3 });

  const first = fresh();
  let bytes: Uint8Array | null = null;
  await first.fit(X, Y, { ...fitOpts, epochs: 3, callbacks: { onEpochEnd: (e) => { if (e === 0) { bytes = first.saveCheckpoint(); return true; } } } });
  assert.ok(bytes);

  const resumed = fresh(12345); // a different seed: everything must come from the checkpoint
  resumed.loadCheckpoint(bytes);
  const hr = await resumed.fit(X, Y, { ...fitOpts, epochs: 3 });
  assert.deepEqual(hr.epoch, [1, 2]);
  assertAllEqual(straight, resumed);
  assert.deepEqual(hr.history.loss, hs.history.loss.slice(1));
  assert.deepEqual(hr.history.val_loss, hs.history.val_loss.slice(1));
  assert.equal(resumed.progress.step, straight.progress.step);
});

test('resume from a mid-epoch checkpoint is bit-identical too (the shuffle order is rebuilt)', async () => {
  const straight = fresh();
  const hs = await straight.fit(X, Y, { ...fitOpts, epochs: 3 });

  const first = fresh();
  let bytes: Uint8Array | null = null;
  await first.fit(X, Y, {
    ...fitOpts, epochs: 3,
    callbacks: { onBatchEnd: (b, _logs, info) => { if (info.epoch === 1 && b === 3) { bytes = first.saveCheckpoint(); return true; } } },
  });
  const wrong = fresh(777);
  wrong.loadCheckpoint(bytes as unknown as Uint8Array);
  await assert.rejects(wrong.fit(X, Y, { ...fitOpts, batchSize: 8, epochs: 3 }), /stopped after batch 4 of epoch 1 with batchSize 16 over 120 training samples; resume with the same \(got batchSize 8 over 120\)/);
  const resumed = fresh(777);
  resumed.loadCheckpoint(bytes as unknown as Uint8Array);
  assert.equal(resumed.progress.epoch, 1);
  assert.equal(resumed.progress.batchInEpoch, 4);
  const h = await resumed.fit(X, Y, { ...fitOpts, epochs: 3 });
  assert.deepEqual(h.epoch, [1, 2]);
  assertAllEqual(straight, resumed);
  // The resumed epoch's loss average includes the batches before the checkpoint.
  assert.deepEqual(h.history.loss, hs.history.loss.slice(1));
});

test('loadCheckpoint refuses plain weights and a different optimizer, before it loads any weight', async () => {
  const m = fresh();
  assert.throws(() => m.loadCheckpoint(m.saveWeights()), /not a training checkpoint/);
  const s = Sequential.fromSpec(spec, { seed: 2 });
  s.compile({ ...compileOpts, optimizer: { type: 'sgd', learningRate: 0.1 } });
  const before = s.getWeights();
  assert.notDeepEqual(m.getWeights(), before, 'another seed: the checkpoint would change the weights');
  assert.throws(() => s.loadCheckpoint(m.saveCheckpoint()), /saved with optimizer adam but the model is compiled with sgd/);
  assert.deepEqual(s.getWeights(), before, 'the refused checkpoint changed nothing');
});

test('Sequential.resume rebuilds the model from the checkpoint alone and continues bit-identically', async () => {
  const straight = fresh();
  await straight.fit(X, Y, { ...fitOpts, epochs: 2 });
  const first = fresh();
  await first.fit(X, Y, { ...fitOpts, epochs: 1 });
  const resumed = Sequential.resume(first.saveCheckpoint(), compileOpts);
  assert.equal(resumed.seed, first.seed);
  assert.deepEqual(resumed.spec, first.spec);
  const h = await resumed.fit(X, Y, { ...fitOpts, epochs: 2 });
  assert.deepEqual(h.epoch, [1]);
  assertAllEqual(straight, resumed);
});

test('with the WebAssembly SIMD kernels, resume is bit-identical too', async () => {
  const { kernels: wasmKernels } = await import('../../src/engine/kernels/wasm/index.ts');
  const make = (): Sequential => {
    const m = Sequential.fromSpec(spec, { seed: 9, kernels: wasmKernels });
    m.compile(compileOpts);
    return m;
  };
  const straight = make();
  await straight.fit(X, Y, { ...fitOpts, epochs: 2 });
  const first = make();
  await first.fit(X, Y, { ...fitOpts, epochs: 1 });
  const resumed = Sequential.resume(first.saveCheckpoint(), compileOpts, { kernels: wasmKernels });
  await resumed.fit(X, Y, { ...fitOpts, epochs: 2 });
  assertAllEqual(straight, resumed);
});
