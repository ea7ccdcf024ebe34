/**
 * Oracle tests: each conv / pooling / normalization layer against reference values computed
 * once with PyTorch (tests/fixtures/conv/make_fixtures.py, NHWC<->NCHW permuted there):
 * forward output, input gradient, parameter gradients and (batch norm) the updated moving
 * statistics, in training and inference mode. Each runs with the plain and the WebAssembly
 * SIMD matmul kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { PLAIN_KERNELS, type MatmulKernelSet } from '../../src/engine/layers/index.ts';
import { kernels as wasmKernels } from '../../src/engine/kernels/wasm/index.ts';
import { assertClose, flat, setParam, type Nested } from './helpers/modelHelpers.ts';

interface ConvCase {
  name: string;
  spec: { inputShape: number[]; layers: object[] };
  training: boolean;
  x: Nested;
  dy: Nested;
  params: Record<string, Nested>;
  buffers?: Record<string, Nested>;
  buffersAfter?: Record<string, Nested>;
  output: Nested;
  dx: Nested;
  grads: Record<string, Nested>;
}

const DIR = fileURLToPath(new URL('../fixtures/conv/', import.meta.url));
const names = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
const read = (name: string): ConvCase => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as ConvCase;

test('the conv fixtures exist', () => {
  assert.ok(names.length >= 20, `found ${names.length} conv fixtures`);
});

const KERNEL_SETS: [string, MatmulKernelSet][] = [['plain', PLAIN_KERNELS], ['wasm', wasmKernels]];

for (const [kname, kernels] of KERNEL_SETS) {
  for (const name of names) {
    test(`conv fixture ${name} matches PyTorch (output, dx, parameter grads, buffers) [${kname} kernels]`, () => {
      const c = read(name);
      const model = Sequential.fromSpec(c.spec, { seed: 1, kernels });
      for (const [k, v] of Object.entries(c.params)) setParam(model, k, v);
      for (const [k, v] of Object.entries(c.buffers ?? {})) {
        const b = model.buffers.find((q) => q.name === k);
        assert.ok(b, `no buffer ${k}`);
        b.value.set(flat(v));
      }
      assert.deepEqual(model.params.map((p) => p.name).sort(), Object.keys(c.grads).sort());
      const batch = (c.x as Nested[]).length;
      const x = Float32Array.from(flat(c.x));
      const layer = model.layers[0];
      const y = layer.forward(x, batch, { training: c.training, rng: model.trainRng });
      assertClose(y.subarray(0, batch * model.outputSize), flat(c.output), `${name} output`);
      for (const p of model.params) p.grad.fill(0);
      const dx = layer.backward(Float32Array.from(flat(c.dy)), batch, true) as Float32Array;
      assertClose(dx, flat(c.dx), `${name} dx`);
      for (const p of model.params) assertClose(p.grad, flat(c.grads[p.name]), `${name} grad ${p.name}`);
      for (const [k, v] of Object.entries(c.buffersAfter ?? {})) {
        const b = model.buffers.find((q) => q.name === k);
        assertClose(b?.value ?? [], flat(v), `${name} ${k} after the step`, 1e-5, 1e-6);
      }
    });
  }
}
