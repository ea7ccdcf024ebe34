/** embedding: shapes, lookup, scatter-add gradient (finite differences), out-of-range errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { validateSpec } from '../../src/engine/model/validateSpec.ts';
import { DataShapeError, SpecError } from '../../src/engine/errors.ts';
import { checkGradients } from './helpers/modelHelpers.ts';
import { randn } from './convGradCheck.ts';

test('embedding: output shape is the input shape + [outputDim]; weight [inputDim, outputDim] as nn.Embedding', () => {
  assert.deepEqual(validateSpec({ inputShape: [20], layers: [{ type: 'Embedding', input_dim: 100, output_dim: 8 }] }).shapes[0], [20, 8]);
  const m = Sequential.fromSpec({ inputShape: [3], layers: [{ type: 'embedding', inputDim: 50, outputDim: 4 }] }, { seed: 1 });
  assert.deepEqual(m.params.map((p) => [p.name, p.shape]), [['layers.0.weight', [50, 4]]]);
  // Keras default: randomUniform(-0.05, 0.05)
  assert.ok(m.params[0].value.every((v) => Math.abs(v) <= 0.05) && m.params[0].value.some((v) => v !== 0));
  assert.throws(() => validateSpec({ inputShape: [3], layers: [{ type: 'embedding', inputDim: 5 }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].outputDim');
});

test('embedding looks up rows and scatter-adds the gradient (repeated indices accumulate)', () => {
  const m = Sequential.fromSpec({ inputShape: [4], layers: [{ type: 'embedding', inputDim: 3, outputDim: 2 }] });
  const w = m.params[0];
  w.value.set([0, 1, 10, 11, 20, 21]);
  const y = m.forward(new Float32Array([2, 0, 2, 1]), 1, false);
  assert.deepEqual(Array.from(y), [20, 21, 0, 1, 20, 21, 10, 11]);
  w.grad.fill(0);
  const dx = m.layers[0].backward(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), 1, true);
  assert.deepEqual(Array.from(w.grad), [3, 4, 7, 8, 1 + 5, 2 + 6]);
  assert.deepEqual(Array.from(dx ?? []), [0, 0, 0, 0]);
});

test('an index out of range or not an integer is an error naming the value and the layer', () => {
  const m = Sequential.fromSpec({ inputShape: [3], layers: [{ type: 'embedding', inputDim: 5, outputDim: 2 }] });
  for (const bad of [5, -1, 1.5, Number.NaN]) {
    assert.throws(() => m.forward(new Float32Array([0, bad, 1]), 1, false),
      (e: unknown) => e instanceof DataShapeError && e.message.includes(`input value ${bad}`) && /layers\[0\] \(embedding\)/.test(e.message) && /\[0, 5\)/.test(e.message));
  }
});

test('embedding → lstm → dense: finite differences of every parameter (embedding rows included)', () => {
  const spec = { inputShape: [6], layers: [
    { type: 'embedding', inputDim: 4, outputDim: 3, embeddingsInitializer: { type: 'randomUniform', minval: -0.5, maxval: 0.5 } },
    { type: 'lstm', units: 3 },
    { type: 'dense', units: 2 },
  ] };
  const m = Sequential.fromSpec(spec, { seed: 4 });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = Float32Array.from([0, 1, 2, 3, 1, 1, 3, 3, 2, 0, 0, 1]);
  const y = randn(8, 4);
  assert.ok(checkGradients(m, x, y, 2, { eps: 1e-2, atol: 5e-4, samples: 24 }) > 0);
});

test('recurrent and embedding specs normalise to configs that validate again unchanged', () => {
  const spec = { inputShape: [7], layers: [
    { type: 'embedding', inputDim: 9, outputDim: 4 },
    { type: 'bidirectional', layer: { type: 'gru', units: 3, returnSequences: true } },
    { type: 'simpleRNN', units: 2, returnSequences: true, goBackwards: true },
    { type: 'lstm', units: 2, returnSequences: true },
    { type: 'timeDistributed', layer: { type: 'dense', units: 2 } },
  ] };
  const once = validateSpec(spec).spec;
  assert.deepEqual(validateSpec(JSON.parse(JSON.stringify(once))).spec, once);
  const m = Sequential.fromSpec(spec, { seed: 1 });
  assert.ok(m.summary().text.includes('lstm'));
});
