/**
 * Oracle tests: every layer against reference values computed once with PyTorch
 * (tests/fixtures/layers/make_fixtures.py): outputs, loss and parameter gradients,
 * plus a 3-step training run with SGD (momentum) and Adam. Each runs with the plain
 * and the WebAssembly SIMD matmul kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { PLAIN_KERNELS, type MatmulKernelSet } from '../../src/engine/layers/index.ts';
import { kernels as wasmKernels } from '../../src/engine/kernels/wasm/index.ts';
import { FIXTURES, assertClose, flat, readFixture, setParam, type Nested } from './helpers/modelHelpers.ts';

interface LayerCase {
  name: string;
  spec: { inputShape: number[] };
  loss: string;
  x: Nested;
  y: Nested;
  params: Record<string, Nested>;
  output: Nested;
  lossValue: number;
  grads: Record<string, Nested>;
}

interface TrainCase {
  name: string;
  spec: { inputShape: number[] };
  optimizer: Record<string, unknown>;
  x: Nested;
  y: Nested;
  params: Record<string, Nested>;
  losses: number[];
  steps: Record<string, Nested>[];
}

const cases = readdirSync(FIXTURES).filter((f) => f.endsWith('.json') && !f.startsWith('train_')).map((f) => f.replace(/\.json$/, ''));

test('the fixtures exist', () => {
  assert.ok(cases.length >= 15, `found ${cases.length} layer fixtures`);
});

const KERNEL_SETS: [string, MatmulKernelSet][] = [['plain', PLAIN_KERNELS], ['wasm', wasmKernels]];

for (const [kname, kernels] of KERNEL_SETS) {
  for (const name of cases) {
    test(`layer fixture ${name} matches PyTorch (output, loss, gradients) [${kname} kernels]`, () => {
      const c = readFixture<LayerCase>(name);
      const model = Sequential.fromSpec(c.spec, { seed: 1, kernels });
      model.compile({ optimizer: 'sgd', loss: c.loss });
      for (const [k, v] of Object.entries(c.params)) setParam(model, k, v);
      const x = Float32Array.from(flat(c.x));
      const y = Float32Array.from(flat(c.y));
      const batch = (c.x as Nested[]).length;
      // Dropout fixtures were taken in eval mode; the others have no randomness.
      const loss = model.computeGradients(x, y, batch, null, false);
      assertClose(model.lastOutput.subarray(0, batch * model.outputSize), flat(c.output), `${name} output`);
      assertClose([loss], [c.lossValue], `${name} loss`);
      for (const p of model.params) assertClose(p.grad, flat(c.grads[p.name]), `${name} grad ${p.name}`);
      assert.deepEqual(model.params.map((p) => p.name).sort(), Object.keys(c.grads).sort());
    });
  }

  for (const name of ['train_sgd', 'train_adam']) {
    test(`3 training steps (${name}) match PyTorch [${kname} kernels]`, async () => {
      const c = readFixture<TrainCase>(name);
      const model = Sequential.fromSpec(c.spec, { seed: 1, kernels });
      model.compile({ optimizer: c.optimizer, loss: 'sparseCategoricalCrossentropy' });
      for (const [k, v] of Object.entries(c.params)) setParam(model, k, v);
      const x = Float32Array.from(flat(c.x));
      const y = Float32Array.from(flat(c.y));
      const n = (c.x as Nested[]).length;
      const losses: number[] = [];
      const steps: Record<string, Float32Array>[] = [];
      await model.fit({ data: x, shape: [n, 4] }, { data: y, shape: [n] }, {
        epochs: 3, batchSize: n, shuffle: false,
        callbacks: {
          onBatchEnd: (_b, logs) => {
            losses.push(logs.loss);
            steps.push(Object.fromEntries(model.params.map((p) => [p.name, Float32Array.from(p.value)])));
          },
        },
      });
      assertClose(losses, c.losses, `${name} losses`);
      c.steps.forEach((s, i) => {
        for (const [k, v] of Object.entries(s)) assertClose(steps[i][k], flat(v), `${name} step ${i + 1} ${k}`, 1e-4, 2e-5);
      });
    });
  }
}
