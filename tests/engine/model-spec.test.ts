/** Model spec validation messages, Keras aliases, and the static summary's numbers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpecError } from '../../src/engine/errors.ts';
import { validateSpec } from '../../src/engine/model/validateSpec.ts';
import { LAYER_TYPES } from '../../src/engine/layers/registry.ts';
import { summarizeSpec } from '../../src/engine/model/summarizeSpec.ts';
import { Sequential } from '../../src/engine/model/Sequential.ts';

function specError(spec: unknown): SpecError {
  try {
    validateSpec(spec);
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_spec');
    return e;
  }
  assert.fail('spec was accepted');
}

const mlp = {
  inputShape: [784],
  layers: [{ type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
};

test('a field error names the layer index, the field and the value', () => {
  const e = specError({ inputShape: [4], layers: [{ type: 'dense', units: 3 }, { type: 'dense', units: -3 }] });
  assert.equal(e.message, 'layers[1].units: must be a positive integer, got -3');
  assert.equal(e.path, 'layers[1].units');
  assert.equal(e.layerIndex, 1);
  assert.equal(specError({ inputShape: [4], layers: [{ type: 'dense', units: 2.5 }] }).message, 'layers[0].units: must be a positive integer, got 2.5');
  assert.equal(specError({ inputShape: [4], layers: [{ type: 'dense' }] }).message, 'layers[0].units: is required (a positive integer)');
  assert.equal(specError({ inputShape: [4], layers: [{ type: 'dropout', rate: 1 }] }).message, 'layers[0].rate: must be < 1, got 1');
  assert.equal(specError({ inputShape: [4], layers: [{ type: 'dense', units: 2, useBias: 'yes' }] }).message, 'layers[0].useBias: must be true or false, got "yes"');
});

test('a shape error names the layer, its type and the shapes, and suggests the fix', () => {
  const e = specError({ inputShape: [28, 28], layers: [{ type: 'rescaling', scale: 1 / 255 }, { type: 'dropout', rate: 0.1 }, { type: 'dense', units: 10 }] });
  assert.equal(e.message, 'layers[2] (dense): expects input of rank 1 but gets shape [28,28]; add a flatten layer before it');
  assert.equal(e.layerIndex, 2);
  assert.equal(
    specError({ inputShape: [6], layers: [{ type: 'reshape', targetShape: [4, -1] }] }).message,
    'layers[0] (reshape): cannot reshape input of shape [6] (6 values) to [4,-1]: 6 is not divisible by 4',
  );
  assert.equal(
    specError({ inputShape: [6], layers: [{ type: 'reshape', targetShape: [4, 2] }] }).message,
    'layers[0] (reshape): cannot reshape input of shape [6] (6 values) to [4,2] (8 values)',
  );
  assert.equal(specError({ inputShape: [6], layers: [{ type: 'reshape', targetShape: [-1, -1] }] }).message, 'layers[0].targetShape[1]: only one dimension may be -1');
});

test('unknown layer types and fields are errors that list the valid ones', () => {
  assert.equal(
    specError({ inputShape: [4], layers: [{ type: 'conv9d' }] }).message,
    `layers[0].type: unknown layer type "conv9d"; valid types are ${LAYER_TYPES.join(', ')}`,
  );
  assert.ok(LAYER_TYPES.join(', ').startsWith('dense, rescaling, flatten, reshape, dropout, activation'));
  assert.equal(
    specError({ inputShape: [4], layers: [{ type: 'dense', units: 2, unit: 3 }] }).message,
    'layers[0].unit: unknown field for a dense layer; valid fields are "type", "name", "inputShape", "units", "activation", "useBias", "kernelInitializer", "biasInitializer", "kernelRegularizer", "biasRegularizer"',
  );
  assert.match(specError({ inputShape: [4], layers: [{ type: 'dense', units: 2, activation: 'swishy' }] }).message,
    /^layers\[0\]\.activation: unknown activation "swishy"; valid: linear, relu, leakyRelu, elu, gelu, sigmoid, tanh, softmax, softplus$/);
  assert.equal(specError({ inputShape: [4], layers: [], extra: 1 }).message, 'extra: unknown field in the model spec; valid fields are "inputShape", "layers", "name"');
  assert.equal(specError({ inputShape: [4], layers: [] }).message, 'layers: must contain at least one layer');
  assert.equal(specError({ inputShape: [0], layers: [{ type: 'flatten' }] }).message, 'inputShape[0]: must be a positive integer, got 0');
  assert.equal(specError({ layers: [{ type: 'flatten' }] }).message, 'inputShape: is required (an array of positive integers)');
  assert.equal(specError({ inputShape: [4], layers: [{ units: 3 }] }).message, `layers[0].type: is required: one of ${LAYER_TYPES.join(', ')}`);
  assert.equal(specError({ inputShape: [4], layers: ['dense'] }).message, 'layers[0]: must be an object with a "type", got "dense"');
  assert.equal(specError({ inputShape: [4], layers: [{ type: 'flatten', name: 'a' }, { type: 'flatten', name: 'a' }] }).message, 'layers[1].name: duplicate layer name "a"');
});

test('Keras spellings of types and values are accepted and normalised', () => {
  const { spec, shapes } = validateSpec({
    inputShape: [28, 28],
    layers: [
      { type: 'Rescaling', scale: 0.5 },
      { type: 'Flatten' },
      { type: 'Dense', units: 8, activation: 'leaky_relu', kernel_initializer: 'he_normal', kernel_regularizer: 'L2', use_bias: true },
      { type: 'Activation', activation: 'ReLU' },
      { type: 'dense', units: 3 },
    ],
  });
  assert.deepEqual(shapes, [[28, 28], [784], [8], [8], [3]]);
  assert.deepEqual(spec.layers.map((l) => [l.type, l.name]), [['rescaling', 'rescaling'], ['flatten', 'flatten'], ['dense', 'dense'], ['activation', 'activation'], ['dense', 'dense_1']]);
  const d = spec.layers[2];
  assert.equal(d.type, 'dense');
  if (d.type === 'dense') {
    assert.equal(d.activation, 'leakyRelu');
    assert.deepEqual(d.kernelInitializer, { type: 'heNormal' });
    assert.deepEqual(d.biasInitializer, { type: 'zeros' });
    assert.deepEqual(d.kernelRegularizer, { type: 'l2', l1: 0, l2: 0.01 });
    assert.equal(d.useBias, true);
  }
  assert.equal(specError({ inputShape: [4], layers: [{ type: 'dense', units: 2, use_bias: true, useBias: false }] }).message, 'layers[0].use_bias: duplicates "useBias"; give one of them');
  const last = spec.layers[4];
  if (last.type === 'dense') assert.equal(last.activation, 'linear');
});

test('summary: shapes, parameter counts, FLOPs and memory of the Fashion-MNIST MLP, without allocating', () => {
  const s = summarizeSpec(mlp, { batchSize: 32, optimizer: { type: 'adam', learningRate: 0.001 } });
  assert.deepEqual(s.layers.map((l) => [l.name, l.type, l.outputShape, l.params]), [
    ['dense', 'dense', [128], 100480],
    ['dense_1', 'dense', [10], 1290],
  ]);
  assert.equal(s.totalParams, 101770);
  assert.equal(s.trainableParams, 101770);
  assert.equal(s.nonTrainableParams, 0);
  // dense 1: 2·784·128 matmul + 128 bias + 128 relu; dense 2: 2·128·10 + 10 bias + 5·10 softmax
  assert.equal(s.flops.forwardPerSample, 200960 + 2620);
  assert.equal(s.flops.trainingPerSample, 3 * 203580);
  assert.equal(s.memory.optimizerSlotsPerParam, 2);
  assert.equal(s.memory.paramBytes, 407080);
  assert.equal(s.memory.gradBytes, 407080);
  assert.equal(s.memory.optimizerBytes, 814160);
  // input 784 + dense (pre-activation and output) 2·128 + 2·10
  assert.equal(s.memory.activationBytesPerSample, (784 + 256 + 20) * 4);
  assert.equal(s.memory.activationBytesPerBatch, 2 * 4240 * 32);
  assert.equal(s.memory.totalTrainingBytes, 4 * 407080 + 271360);
  assert.equal(summarizeSpec(mlp, { optimizer: 'sgd' }).memory.optimizerSlotsPerParam, 0);
  assert.equal(summarizeSpec(mlp, { optimizer: { type: 'sgd', momentum: 0.9 } }).memory.optimizerSlotsPerParam, 1);
});

test('summary: activations kept for backward count every timestep of a recurrent layer and conv pre-activations', () => {
  const floats = (spec: unknown): number => summarizeSpec(spec, { batchSize: 1 }).memory.activationBytesPerSample / 4;
  // input 28x28; lstm 64 keeps 7 x 64 floats per step for 28 steps; dense 10 softmax keeps z and a.
  assert.equal(floats({ inputShape: [28, 28], layers: [{ type: 'lstm', units: 64 }, { type: 'dense', units: 10, activation: 'softmax' }] }), 784 + 28 * 7 * 64 + 2 * 10);
  assert.equal(floats({ inputShape: [28, 28], layers: [{ type: 'gru', units: 8, returnSequences: true }] }), 784 + 28 * 5 * 8);
  assert.equal(
    floats({ inputShape: [28, 28], layers: [{ type: 'bidirectional', layer: { type: 'simpleRNN', units: 4 } }] }),
    784 + 2 * 28 * 4 + 8,
  );
  // conv relu keeps z and a; pooling keeps its output; flatten nothing.
  assert.equal(
    floats({ inputShape: [8, 8, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'maxPooling2d' }, { type: 'flatten' }] }),
    64 + 2 * 128 + 32,
  );
});

test('summary of a huge spec is instant (nothing is allocated)', () => {
  const t = performance.now();
  const s = summarizeSpec({ inputShape: [100000], layers: [{ type: 'dense', units: 100000 }, { type: 'dense', units: 100000 }] });
  assert.equal(s.totalParams, 2 * (100000 * 100000 + 100000));
  assert.ok(s.memory.totalTrainingBytes > 1e11);
  assert.ok(performance.now() - t < 100);
});

test('summarizeSpec rejects an invalid spec with the same SpecError', () => {
  assert.throws(() => summarizeSpec({ inputShape: [4], layers: [{ type: 'dense', units: 0 }] }), /layers\[0\]\.units: must be a positive integer, got 0/);
});

test('model.summary() has the numbers and a Keras-like table', () => {
  const m = Sequential.fromSpec(mlp, { seed: 0 });
  const s = m.summary();
  assert.equal(s.totalParams, m.paramCount);
  assert.match(s.text, /dense_1 \(dense\)\s+\(None, 10\)\s+1290/);
  assert.match(s.text, /Total params: 101770/);
});

test('compile rejects unknown losses, optimizers and metrics by name', () => {
  const m = Sequential.fromSpec(mlp, { seed: 0 });
  assert.throws(() => m.compile({ optimizer: 'adam', loss: 'hinge' }), /loss: unknown loss "hinge"; valid: meanSquaredError/);
  assert.throws(() => m.compile({ optimizer: { type: 'adamx' }, loss: 'mse' }), /optimizer\.type: unknown optimizer "adamx"/);
  assert.throws(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['accuracy', 'f1'] }), /metrics\[1\]: unknown metric "f1"/);
  m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['acc'] });
  assert.equal(m.lossName, 'sparseCategoricalCrossentropy');
});

test('the first layer may carry inputShape (Keras / TF.js idiom)', () => {
  const { spec } = validateSpec({ layers: [{ type: 'dense', units: 4, inputShape: [3] }, { type: 'dense', units: 2 }] });
  assert.deepEqual(spec.inputShape, [3]);
  assert.equal('inputShape' in spec.layers[0], false);
  assert.deepEqual(validateSpec({ layers: [{ type: 'Dense', units: 4, input_shape: [7] }] }).spec.inputShape, [7]);
  assert.equal(specError({ inputShape: [4], layers: [{ type: 'dense', units: 4, inputShape: [3] }] }).message, "layers[0].inputShape: [3] disagrees with the spec's inputShape [4]");
  assert.equal(specError({ inputShape: [4], layers: [{ type: 'flatten' }, { type: 'dense', units: 4, inputShape: [4] }] }).message, 'layers[1].inputShape: only the first layer may set inputShape');
});

test('a model can attach another model\'s shared storage (what a worker thread does)', () => {
  const a = Sequential.fromSpec(mlp, { seed: 1 });
  assert.ok(a.storage.values.buffer instanceof SharedArrayBuffer);
  const b = Sequential.fromSpec(mlp, { seed: 2, storage: { values: a.storage.values, bufferValues: a.storage.bufferValues } });
  assert.equal(b.params[0].value[5], a.params[0].value[5]);
  a.params[0].value[5] = 42;
  assert.equal(b.params[0].value[5], 42);
  assert.notEqual(b.storage.grads, a.storage.grads);
  assert.throws(() => Sequential.fromSpec({ inputShape: [3], layers: [{ type: 'dense', units: 2 }] }, { storage: a.storage }), /storage\.values: the model needs 8 values, got 101770/);
  // A custom allocator (e.g. the wasm kernels' memory) gets the same initial weights.
  const sizes: number[] = [];
  const c = Sequential.fromSpec(mlp, { seed: 1, allocate: (n) => { sizes.push(n); return new Float32Array(new SharedArrayBuffer(4 * n + 64), 64, n); } });
  assert.deepEqual(sizes, [101770, 101770, 0]);
  assert.equal(c.params[3].value[7], Sequential.fromSpec(mlp, { seed: 1 }).params[3].value[7]);
});

test('a normalized spec validates again: l1 and l2 regularizers name the unused factor as 0', () => {
  const m = Sequential.fromSpec({ inputShape: [6], layers: [
    { type: 'dense', units: 4, kernelRegularizer: 'l2', biasRegularizer: { type: 'l1', l1: 0.02 } },
    { type: 'dense', units: 3, activation: 'softmax' },
  ] }, { seed: 1 });
  assert.deepEqual(validateSpec(m.spec).spec, m.spec);
  assert.equal(m.summary().totalParams, 6 * 4 + 4 + 4 * 3 + 3, 'summary() re-reads the spec');
  assert.equal(
    specError({ inputShape: [6], layers: [{ type: 'dense', units: 4, kernelRegularizer: { type: 'l2', l1: 0.5 } }] }).message,
    'layers[0].kernelRegularizer.l1: must be 0 for an l2 regularizer (use l1l2 for both factors), got 0.5',
  );
});
