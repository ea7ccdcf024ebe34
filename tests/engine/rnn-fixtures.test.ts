/**
 * Oracle tests: simpleRNN, lstm, gru, bidirectional and embedding against reference values
 * computed once with PyTorch (tests/fixtures/rnn/make_fixtures.py: nn.RNN / nn.LSTM /
 * nn.GRU with batch_first=True, bidirectional=True, nn.Embedding) on sequences of 20-24
 * steps: forward output, input gradient and every parameter gradient (backpropagation
 * through the whole sequence). Each runs with the plain and the WebAssembly SIMD kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { PLAIN_KERNELS, type MatmulKernelSet } from '../../src/engine/layers/index.ts';
import { kernels as wasmKernels } from '../../src/engine/kernels/wasm/index.ts';
import { assertClose, flat, setParam, type Nested } from './helpers/modelHelpers.ts';

interface RnnCase {
  name: string;
  spec: { inputShape: number[]; layers: object[] };
  x: Nested;
  dy: Nested;
  params: Record<string, Nested>;
  output: Nested;
  dx: Nested;
  grads: Record<string, Nested>;
}

const DIR = fileURLToPath(new URL('../fixtures/rnn/', import.meta.url));
const names = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
const read = (name: string): RnnCase => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as RnnCase;

test('the rnn fixtures exist, with sequences of at least 20 steps', () => {
  assert.ok(names.length >= 14, `found ${names.length} rnn fixtures`);
  for (const n of names) assert.ok(read(n).spec.inputShape[0] >= 20, `${n}: ${read(n).spec.inputShape[0]} steps`);
});

const KERNEL_SETS: [string, MatmulKernelSet][] = [['plain', PLAIN_KERNELS], ['wasm', wasmKernels]];

for (const [kname, kernels] of KERNEL_SETS) {
  for (const name of names) {
    test(`rnn fixture ${name} matches PyTorch (output, dx, every parameter grad) [${kname} kernels]`, () => {
      const c = read(name);
      const model = Sequential.fromSpec(c.spec, { seed: 1, kernels });
      assert.deepEqual(model.params.map((p) => p.name), Object.keys(c.params), 'parameter names and order follow the PyTorch state_dict');
      for (const [k, v] of Object.entries(c.params)) setParam(model, k, v);
      const batch = (c.x as Nested[]).length;
      const x = Float32Array.from(flat(c.x));
      const layer = model.layers[0];
      // Twice, so reused buffers are exercised; grads accumulate (+=), so zero before the second.
      for (let rep = 0; rep < 2; rep++) {
        for (const p of model.params) p.grad.fill(0);
        const y = layer.forward(x, batch, { training: true, rng: model.trainRng });
        assertClose(y.subarray(0, batch * model.outputSize), flat(c.output), `${name} output`, 1e-4, 2e-5);
        const dx = layer.backward(Float32Array.from(flat(c.dy)), batch, true) as Float32Array;
        assertClose(dx, flat(c.dx), `${name} dx`, 1e-3, 5e-5);
        for (const p of model.params) assertClose(p.grad, flat(c.grads[p.name]), `${name} grad ${p.name}`, 1e-3, 5e-5);
      }
    });
  }
}
