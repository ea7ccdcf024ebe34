/**
 * With the default (WebAssembly) kernels a model's weights, gradients and optimizer slots live
 * in the thread's wasm memory, where the kernels use them in place, and go back to the arena
 * on dispose() (or collection), so a thread building model after model does not grow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential, defaultWasmKernels } from '../../src/engine/index.ts';

const SPEC = { inputShape: [20], layers: [{ type: 'dense', units: 16, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] };

function trained(): Sequential {
  const m = Sequential.fromSpec(SPEC, { seed: 3 });
  m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  return m;
}

test('weights, gradients and Adam slots are allocated in the wasm memory', async () => {
  const arena = defaultWasmKernels().arena;
  const m = trained();
  const x = Float32Array.from({ length: 8 * 20 }, (_, i) => Math.sin(i));
  const y = Float32Array.from({ length: 8 }, (_, i) => i % 3);
  await m.fit({ data: x, shape: [8, 20] }, { data: y, shape: [8] }, { batchSize: 4, epochs: 1 });
  assert.ok(arena.owns(m.storage.values) && arena.owns(m.storage.grads));
  const slots = m.optimizer!.getState().slots;
  assert.ok(Object.keys(slots).length === 8, 'exp_avg and exp_avg_sq of 4 parameters');
  m.dispose();
});

test('dispose gives the memory back: the next model reuses the same addresses', () => {
  const a = trained();
  const at = a.storage.values.byteOffset;
  a.dispose();
  const b = trained();
  assert.equal(b.storage.values.byteOffset, at);
  b.dispose();
});

test('the same seed trains to the same weights whether or not the weights live in wasm memory', async () => {
  const x = Float32Array.from({ length: 32 * 20 }, (_, i) => Math.cos(i * 0.7));
  const y = Float32Array.from({ length: 32 }, (_, i) => (i * 7) % 3);
  const run = async (allocate?: (n: number) => Float32Array) => {
    const m = Sequential.fromSpec(SPEC, { seed: 5, ...(allocate ? { allocate } : {}) });
    m.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    await m.fit({ data: x, shape: [32, 20] }, { data: y, shape: [32] }, { batchSize: 8, epochs: 2, shuffle: false });
    return m.getWeights();
  };
  const inWasm = await run();
  const inJs = await run((n) => new Float32Array(new SharedArrayBuffer(n * 4)));
  assert.deepEqual(Array.from(inWasm), Array.from(inJs), 'wasm Adam and the plain reference agree bit for bit');
});
