/** simpleRNN, lstm, gru, bidirectional: shapes, validation, initialisation, finite differences. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { validateSpec } from '../../src/engine/model/validateSpec.ts';
import { summarizeSpec } from '../../src/engine/model/summarizeSpec.ts';
import { SpecError } from '../../src/engine/errors.ts';
import { gradCheckSpec } from './convGradCheck.ts';

const shapeOf = (spec: object): number[][] => validateSpec(spec).shapes;

test('recurrent output shapes: returnSequences, bidirectional merge modes', () => {
  assert.deepEqual(shapeOf({ inputShape: [28, 28], layers: [{ type: 'lstm', units: 64 }] })[0], [64]);
  assert.deepEqual(shapeOf({ inputShape: [5, 3], layers: [{ type: 'LSTM', units: 4, return_sequences: true }] })[0], [5, 4]);
  assert.deepEqual(shapeOf({ inputShape: [5, 3], layers: [{ type: 'SimpleRNN', units: 2 }] })[0], [2]);
  assert.deepEqual(shapeOf({ inputShape: [5, 3], layers: [{ type: 'gru', units: 2, returnSequences: true }] })[0], [5, 2]);
  assert.deepEqual(shapeOf({ inputShape: [5, 3], layers: [{ type: 'bidirectional', layer: { type: 'lstm', units: 4 } }] })[0], [8]);
  assert.deepEqual(shapeOf({ inputShape: [5, 3], layers: [{ type: 'Bidirectional', merge_mode: 'sum', layer: { type: 'gru', units: 4, return_sequences: true } }] })[0], [5, 4]);
});

test('parameters follow PyTorch names and shapes (gate order i,f,g,o / r,z,n; two biases)', () => {
  const m = Sequential.fromSpec({ inputShape: [5, 3], layers: [
    { type: 'lstm', units: 4, returnSequences: true }, { type: 'gru', units: 2 }, { type: 'dense', units: 1 },
  ] }, { seed: 1 });
  assert.deepEqual(m.params.map((p) => [p.name, p.shape]), [
    ['layers.0.weight_ih_l0', [16, 3]], ['layers.0.weight_hh_l0', [16, 4]], ['layers.0.bias_ih_l0', [16]], ['layers.0.bias_hh_l0', [16]],
    ['layers.1.weight_ih_l0', [6, 4]], ['layers.1.weight_hh_l0', [6, 2]], ['layers.1.bias_ih_l0', [6]], ['layers.1.bias_hh_l0', [6]],
    ['layers.2.weight', [1, 2]], ['layers.2.bias', [1]],
  ]);
  const b = Sequential.fromSpec({ inputShape: [5, 3], layers: [{ type: 'bidirectional', layer: { type: 'simpleRNN', units: 2, useBias: false } }] });
  assert.deepEqual(b.params.map((p) => p.name), ['layers.0.weight_ih_l0', 'layers.0.weight_hh_l0', 'layers.0.weight_ih_l0_reverse', 'layers.0.weight_hh_l0_reverse']);
  // Keras counts 4·(u·(F+u) + u) for an LSTM; the second (PyTorch) bias adds 4·u.
  assert.equal(summarizeSpec({ inputShape: [28, 28], layers: [{ type: 'lstm', units: 64 }] }).totalParams, 4 * (64 * (28 + 64) + 64) + 4 * 64);
});

test('initialisation: orthogonal recurrent weights, glorot input weights, unitForgetBias on bias_ih only', () => {
  const u = 5;
  const m = Sequential.fromSpec({ inputShape: [3, 4], layers: [{ type: 'lstm', units: u }] }, { seed: 7 });
  const [wih, whh, bih, bhh] = m.params;
  // weight_hh [4u, u]: its u columns are orthonormal (Keras's recurrent_kernel [u, 4u] has orthonormal rows).
  for (let a = 0; a < u; a++) {
    for (let b = 0; b < u; b++) {
      let dot = 0;
      for (let r = 0; r < 4 * u; r++) dot += whh.value[r * u + a] * whh.value[r * u + b];
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `columns ${a}, ${b}: ${dot}`);
    }
  }
  const limit = Math.sqrt(6 / (4 + 4 * u));
  assert.ok(wih.value.every((v) => Math.abs(v) <= limit) && wih.value.some((v) => v !== 0));
  assert.deepEqual(Array.from(bih.value), [...Array(u).fill(0), ...Array(u).fill(1), ...Array(2 * u).fill(0)]);
  assert.ok(bhh.value.every((v) => v === 0));
  const noForget = Sequential.fromSpec({ inputShape: [3, 4], layers: [{ type: 'lstm', units: u, unitForgetBias: false }] }, { seed: 7 });
  assert.ok(noForget.params[2].value.every((v) => v === 0));
  // A square orthogonal matrix (simpleRNN weight_hh [u, u]) with a gain: Q·Qᵀ = gain²·I.
  const r = Sequential.fromSpec({ inputShape: [3, 4], layers: [{ type: 'simpleRNN', units: 3, recurrentInitializer: { type: 'orthogonal', gain: 2 } }] }, { seed: 3 });
  const q = r.params[1].value;
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
    let dot = 0;
    for (let k = 0; k < 3; k++) dot += q[a * 3 + k] * q[b * 3 + k];
    assert.ok(Math.abs(dot - (a === b ? 4 : 0)) < 1e-5);
  }
});

test('recurrent spec errors name the layer, the field and the shapes', () => {
  const bad = (layers: object[], re: RegExp, path?: string, inputShape = [5, 3]): void => {
    assert.throws(() => validateSpec({ inputShape, layers }), (e: unknown) => {
      assert.ok(e instanceof SpecError, String(e));
      assert.match(e.message, re);
      if (path !== undefined) assert.equal(e.path, path);
      return true;
    });
  };
  bad([{ type: 'lstm', units: 4 }], /\(lstm\): expects input of rank 2 \[timesteps, features\] but gets shape \[28,28,1\]/, 'layers[0]', [28, 28, 1]);
  bad([{ type: 'flatten' }, { type: 'gru', units: 2 }], /layers\[1\] \(gru\): expects input of rank 2.*\[15\]/, 'layers[1]');
  bad([{ type: 'lstm' }], /required/, 'layers[0].units');
  bad([{ type: 'lstm', units: 2, activation: 'gelu' }], /not supported in a recurrent layer/, 'layers[0].activation');
  bad([{ type: 'lstm', units: 2, recurrentActivation: 'hardSigmoid' }], /unknown activation/, 'layers[0].recurrentActivation');
  bad([{ type: 'gru', units: 2, resetAfter: false }], /not supported/, 'layers[0].resetAfter');
  bad([{ type: 'simpleRNN', units: 2, unitForgetBias: true }], /unknown field/, 'layers[0].unitForgetBias');
  bad([{ type: 'lstm', units: 2, stateful: true }], /unknown field/, 'layers[0].stateful');
  bad([{ type: 'bidirectional', layer: { type: 'dense', units: 2 } }], /must be one of simpleRNN, lstm, gru/, 'layers[0].layer.type');
  bad([{ type: 'bidirectional' }], /is required/, 'layers[0].layer');
  bad([{ type: 'bidirectional', layer: { type: 'lstm', units: 2, foo: 1 } }], /unknown field/, 'layers[0].layer.foo');
  bad([{ type: 'bidirectional', mergeMode: 'max', layer: { type: 'lstm', units: 2 } }], /merge mode/, 'layers[0].mergeMode');
});

test('simpleRNN on a tiny sequence equals the hand-computed recurrence', () => {
  const m = Sequential.fromSpec({ inputShape: [3, 1], layers: [{ type: 'simpleRNN', units: 1, activation: 'linear', returnSequences: true }] }, { seed: 1 });
  m.params[0].value.set([2]); // W_ih
  m.params[1].value.set([0.5]); // W_hh
  m.params[2].value.set([1]); // b_ih
  m.params[3].value.set([0.25]); // b_hh
  // h1 = 2·1 + 1.25 = 3.25; h2 = 2·2 + 1.25 + 1.625 = 6.875; h3 = 2·3 + 1.25 + 3.4375 = 10.6875
  assert.deepEqual(Array.from(m.forward(new Float32Array([1, 2, 3]), 1, false)), [3.25, 6.875, 10.6875]);
  const back = Sequential.fromSpec({ inputShape: [3, 1], layers: [{ type: 'simpleRNN', units: 1, activation: 'linear', returnSequences: true, goBackwards: true, useBias: false }] });
  back.params[0].value.set([1]);
  back.params[1].value.set([1]);
  // reads 3, 2, 1; outputs in processing order (Keras): 3, 5, 6
  assert.deepEqual(Array.from(back.forward(new Float32Array([1, 2, 3]), 1, false)), [3, 5, 6]);
});

const T = 4;
const cases: [string, object][] = [];
for (const type of ['simpleRNN', 'lstm', 'gru']) {
  cases.push([`${type} last step`, { type, units: 3 }]);
  cases.push([`${type} returnSequences`, { type, units: 3, returnSequences: true }]);
  cases.push([`${type} goBackwards returnSequences`, { type, units: 2, returnSequences: true, goBackwards: true }]);
  cases.push([`${type} goBackwards last, no bias`, { type, units: 2, goBackwards: true, useBias: false }]);
}
cases.push(['simpleRNN relu', { type: 'simpleRNN', units: 3, activation: 'relu', returnSequences: true }]);
cases.push(['lstm elu / softplus gates', { type: 'lstm', units: 2, activation: 'elu', recurrentActivation: 'softplus', returnSequences: true }]);
cases.push(['gru leakyRelu candidate', { type: 'gru', units: 2, activation: 'leakyRelu' }]);
for (const mergeMode of ['concat', 'sum', 'mul', 'ave']) {
  cases.push([`bidirectional lstm ${mergeMode} returnSequences`, { type: 'bidirectional', mergeMode, layer: { type: 'lstm', units: 2, returnSequences: true } }]);
  cases.push([`bidirectional gru ${mergeMode} last`, { type: 'bidirectional', mergeMode, layer: { type: 'gru', units: 2 } }]);
}
cases.push(['bidirectional simpleRNN, inner goBackwards', { type: 'bidirectional', layer: { type: 'simpleRNN', units: 2, goBackwards: true, returnSequences: true } }]);

for (const [name, layer] of cases) {
  test(`${name}: finite differences (every parameter, input)`, () => {
    gradCheckSpec({ inputShape: [T, 3], layers: [layer, { type: 'flatten' }] }, 2);
  });
}

test('stacked lstm(returnSequences) → bidirectional gru → dense softmax: finite differences', () => {
  gradCheckSpec({ inputShape: [5, 2], layers: [
    { type: 'lstm', units: 3, returnSequences: true },
    { type: 'bidirectional', layer: { type: 'gru', units: 2 } },
    { type: 'dense', units: 3, activation: 'tanh' },
  ] }, 3);
});

test('a batch larger than the last one, then smaller: buffers grow and are reused, results unchanged', () => {
  const spec = { inputShape: [6, 2], layers: [{ type: 'bidirectional', layer: { type: 'lstm', units: 3, returnSequences: true } }, { type: 'flatten' }] };
  const m = Sequential.fromSpec(spec, { seed: 5 });
  const x = Float32Array.from({ length: 4 * 12 }, (_, i) => Math.sin(i));
  const one = Float32Array.from(m.forward(x.subarray(0, 12), 1, false));
  m.forward(x, 4, false);
  const again = m.forward(x.subarray(0, 12), 1, false);
  assert.deepEqual(Array.from(again), Array.from(one));
});

test('timeDistributed(dense): shapes, dense parameter names, errors, finite differences', () => {
  assert.deepEqual(shapeOf({ inputShape: [5, 3], layers: [{ type: 'TimeDistributed', layer: { type: 'Dense', units: 4 } }] })[0], [5, 4]);
  const m = Sequential.fromSpec({ inputShape: [5, 3], layers: [{ type: 'timeDistributed', layer: { type: 'dense', units: 4 } }] });
  assert.deepEqual(m.params.map((p) => [p.name, p.shape]), [['layers.0.weight', [4, 3]], ['layers.0.bias', [4]]]);
  assert.throws(() => validateSpec({ inputShape: [5, 3], layers: [{ type: 'timeDistributed', layer: { type: 'lstm', units: 4 } }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].layer.type');
  assert.throws(() => validateSpec({ inputShape: [5], layers: [{ type: 'timeDistributed', layer: { type: 'dense', units: 4 } }] }),
    (e: unknown) => e instanceof SpecError && /rank 2/.test(e.message));
  gradCheckSpec({ inputShape: [T, 3], layers: [
    { type: 'gru', units: 3, returnSequences: true },
    { type: 'timeDistributed', layer: { type: 'dense', units: 2, activation: 'tanh' } },
    { type: 'flatten' },
  ] }, 2);
});
