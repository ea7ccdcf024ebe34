/** conv2d, conv1d, conv2dTranspose, zeroPadding2d, upSampling2d: shapes, finite differences, exact small cases. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { validateSpec } from '../../src/engine/model/validateSpec.ts';
import { SpecError } from '../../src/engine/errors.ts';
import { gradCheckSpec, randn } from './convGradCheck.ts';
import { checkGradients } from './helpers/modelHelpers.ts';
import { ConvLayer } from '../../src/engine/layers/convLayer.ts';
import { biasReluForward, reluBackwardBias } from '../../src/engine/kernels/reluEpilogue.ts';
import { activationBackward, activationForward } from '../../src/engine/layers/activations.ts';

const shapeOf = (spec: object): number[][] => validateSpec(spec).shapes;

test('conv2d output shapes follow Keras (valid, same with odd sizes, strides, dilation)', () => {
  assert.deepEqual(shapeOf({ inputShape: [28, 28, 1], layers: [{ type: 'conv2d', filters: 16, kernelSize: 3 }] })[0], [26, 26, 16]);
  assert.deepEqual(shapeOf({ inputShape: [7, 8, 2], layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' }] })[0], [4, 4, 4]);
  assert.deepEqual(shapeOf({ inputShape: [7, 8, 2], layers: [{ type: 'conv2d', filters: 4, kernelSize: [3, 2], strides: [2, 3] }] })[0], [3, 3, 4]);
  assert.deepEqual(shapeOf({ inputShape: [9, 9, 1], layers: [{ type: 'Conv2D', filters: 1, kernel_size: 3, dilation_rate: 2 }] })[0], [5, 5, 1]);
  assert.deepEqual(shapeOf({ inputShape: [10, 3], layers: [{ type: 'conv1d', filters: 2, kernelSize: 3, padding: 'causal', dilationRate: 2 }] })[0], [10, 2]);
  assert.deepEqual(shapeOf({ inputShape: [10, 3], layers: [{ type: 'conv1d', filters: 2, kernelSize: 4, strides: 3 }] })[0], [3, 2]);
});

test('conv2dTranspose output shapes follow Keras (valid: in·s + max(k−s, 0); same: in·s)', () => {
  const out = (k: number, s: number, padding: string): number[] =>
    shapeOf({ inputShape: [5, 4, 3], layers: [{ type: 'conv2dTranspose', filters: 2, kernelSize: k, strides: s, padding }] })[0];
  assert.deepEqual(out(3, 2, 'valid'), [11, 9, 2]);
  assert.deepEqual(out(3, 2, 'same'), [10, 8, 2]);
  assert.deepEqual(out(2, 3, 'valid'), [15, 12, 2]);
  assert.deepEqual(out(4, 2, 'same'), [10, 8, 2]);
  assert.deepEqual(out(5, 1, 'valid'), [9, 8, 2]);
});

test('conv errors name the layer, the field and the shapes', () => {
  assert.throws(() => validateSpec({ inputShape: [28, 28], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3 }] }),
    (e: unknown) => e instanceof SpecError && e.layerIndex === 0 && /rank 3 \[height, width, channels\] but gets shape \[28,28\]/.test(e.message) && /reshape/.test(e.message));
  assert.throws(() => validateSpec({ inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 5 }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].kernelSize' && /\[5,5\].*\[4,4,1\]/.test(e.message));
  assert.throws(() => validateSpec({ inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: [3, 0] }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].kernelSize');
  assert.throws(() => validateSpec({ inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, padding: 'full' }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].padding');
  assert.throws(() => validateSpec({ inputShape: [4, 4, 1], layers: [{ type: 'conv2d', kernelSize: 3 }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].filters');
  assert.throws(() => validateSpec({ inputShape: [8, 1], layers: [{ type: 'conv2d', filters: 1, kernelSize: 3, padding: 'causal' }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].padding');
});

test('conv2d on a tiny image equals the hand-computed correlation (PyTorch layout [out, in, kh, kw])', () => {
  const m = Sequential.fromSpec({ inputShape: [3, 3, 2], layers: [{ type: 'conv2d', filters: 1, kernelSize: 2, useBias: false }] });
  // weight[0, c, ky, kx]: channel 0 = [[1, 2], [3, 4]], channel 1 = all 10
  m.params[0].value.set([1, 2, 3, 4, 10, 10, 10, 10]);
  // x[y, x, c] = c === 0 ? y*3+x : 1
  const x = new Float32Array(18);
  for (let p = 0; p < 9; p++) { x[p * 2] = p; x[p * 2 + 1] = 1; }
  const y = m.forward(x, 1, false);
  // top-left: 0*1 + 1*2 + 3*3 + 4*4 + 40 = 67
  assert.deepEqual(Array.from(y), [67, 77, 97, 107]);
});

const conv2dCases: [string, object, number[]][] = [
  ['valid 3x3', { filters: 3, kernelSize: 3 }, [5, 6, 2]],
  ['same, odd size, stride 2 (extra pad bottom/right)', { filters: 2, kernelSize: 3, strides: 2, padding: 'same' }, [5, 6, 2]],
  ['same, even kernel 2x4, relu', { filters: 2, kernelSize: [2, 4], padding: 'same', activation: 'tanh' }, [4, 5, 3]],
  ['dilation 2, valid', { filters: 2, kernelSize: 2, dilationRate: 2 }, [5, 5, 2]],
  ['dilation 2 same with stride 2', { filters: 2, kernelSize: 3, dilationRate: 2, strides: 2, padding: 'same' }, [5, 6, 1]],
  ['1x1 (no im2col), no bias', { filters: 3, kernelSize: 1, useBias: false }, [3, 3, 4]],
  ['1x1 stride 2', { filters: 2, kernelSize: 1, strides: 2 }, [5, 5, 2]],
];
for (const [name, layer, inputShape] of conv2dCases) {
  test(`conv2d ${name}: finite differences (weights, bias, input)`, () => {
    gradCheckSpec({ inputShape, layers: [{ type: 'conv2d', ...layer }, { type: 'flatten' }] }, 2);
  });
}

test('conv2d with a softmax over channels fused into crossentropy, and a regularizer: finite differences', () => {
  const m = Sequential.fromSpec({ inputShape: [4, 4, 2], layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', kernelRegularizer: { type: 'l2', l2: 0.01 } },
    { type: 'conv2d', filters: 3, kernelSize: 1, activation: 'softmax' },
  ] }, { seed: 2 });
  m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  const y = new Float32Array(2 * 16 * 3);
  for (let p = 0; p < 32; p++) y[p * 3 + (p % 3)] = 1;
  assert.ok(checkGradients(m, randn(4, 2 * 32), y, 2, { eps: 1e-2, atol: 5e-4 }) > 0);
});

const conv1dCases: [string, object][] = [
  ['valid', { filters: 3, kernelSize: 3 }],
  ['same stride 2', { filters: 2, kernelSize: 4, strides: 2, padding: 'same' }],
  ['causal dilation 2', { filters: 2, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'relu' }],
];
for (const [name, layer] of conv1dCases) {
  test(`conv1d ${name}: finite differences`, () => {
    gradCheckSpec({ inputShape: [9, 2], layers: [{ type: 'conv1d', ...layer }, { type: 'flatten' }] }, 2);
  });
}

const transposeCases: [string, object][] = [
  ['valid k3 s2', { filters: 2, kernelSize: 3, strides: 2 }],
  ['same k3 s2 (odd crop)', { filters: 2, kernelSize: 3, strides: 2, padding: 'same' }],
  ['same k4 s2', { filters: 3, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }],
  ['valid k2 s3 (k < s)', { filters: 2, kernelSize: 2, strides: 3 }],
  ['valid k[3,2] s1, no bias', { filters: 2, kernelSize: [3, 2], useBias: false }],
];
for (const [name, layer] of transposeCases) {
  test(`conv2dTranspose ${name}: finite differences`, () => {
    gradCheckSpec({ inputShape: [3, 4, 2], layers: [{ type: 'conv2dTranspose', ...layer }, { type: 'flatten' }] }, 2);
  });
}

test('zeroPadding2d and upSampling2d: shapes, exact values, finite differences through a conv', () => {
  assert.deepEqual(shapeOf({ inputShape: [2, 3, 1], layers: [{ type: 'zeroPadding2d', padding: [[1, 2], [0, 1]] }] })[0], [5, 4, 1]);
  assert.deepEqual(shapeOf({ inputShape: [2, 3, 1], layers: [{ type: 'zeroPadding2d' }] })[0], [4, 5, 1]);
  assert.deepEqual(shapeOf({ inputShape: [2, 3, 1], layers: [{ type: 'upSampling2d', size: [2, 3] }] })[0], [4, 9, 1]);
  const pad = Sequential.fromSpec({ inputShape: [1, 2, 1], layers: [{ type: 'zeroPadding2d', padding: [1, 1] }] });
  assert.deepEqual(Array.from(pad.forward(Float32Array.from([5, 6]), 1, false)), [0, 0, 0, 0, 0, 5, 6, 0, 0, 0, 0, 0]);
  const up = Sequential.fromSpec({ inputShape: [1, 2, 1], layers: [{ type: 'upSampling2d' }] });
  assert.deepEqual(Array.from(up.forward(Float32Array.from([5, 6]), 1, false)), [5, 5, 6, 6, 5, 5, 6, 6]);
  gradCheckSpec({ inputShape: [3, 3, 2], layers: [
    { type: 'conv2d', filters: 2, kernelSize: 2 }, { type: 'zeroPadding2d', padding: [[1, 0], [2, 1]] },
    { type: 'upSampling2d', size: [2, 1] }, { type: 'conv2d', filters: 1, kernelSize: 3 }, { type: 'flatten' },
  ] }, 2);
  assert.throws(() => validateSpec({ inputShape: [2, 2, 1], layers: [{ type: 'upSampling2d', interpolation: 'bilinear' }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].interpolation');
  assert.throws(() => validateSpec({ inputShape: [2, 2, 1], layers: [{ type: 'zeroPadding2d', padding: [1, -1] }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].padding');
});

test('conv layers reuse their buffers across steps of the same batch size', () => {
  const m = Sequential.fromSpec({ inputShape: [5, 5, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3 }] }, { seed: 1 });
  const x = new Float32Array(50).fill(1);
  const a = m.forward(x, 2, true);
  const b = m.forward(x, 2, true);
  assert.equal(a.buffer, b.buffer);
  const c = m.forward(x, 1, true);
  assert.equal(c.buffer, a.buffer);
});

test('conv2d, conv1d and conv2dTranspose in chunks of samples (bounded im2col workspace) give the same outputs and gradients', () => {
  const cases = [
    { inputShape: [5, 6, 2], layers: [{ type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' }, { type: 'conv2d', filters: 2, kernelSize: 2, strides: 2 }, { type: 'flatten' }] },
    { inputShape: [9, 2], layers: [{ type: 'conv1d', filters: 2, kernelSize: 3 }, { type: 'conv1d', filters: 2, kernelSize: 2, padding: 'causal' }, { type: 'flatten' }] },
    { inputShape: [3, 3, 2], layers: [{ type: 'conv2dTranspose', filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }, { type: 'conv2dTranspose', filters: 1, kernelSize: 2 }, { type: 'flatten' }] },
  ];
  for (const spec of cases) {
    const run = (): { out: number[]; grads: number[][] } => {
      const m = Sequential.fromSpec(spec, { seed: 4 });
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      const x = randn(1, 5 * spec.inputShape.reduce((a, b) => a * b, 1));
      m.computeGradients(x, randn(2, 5 * m.outputSize), 5);
      return { out: Array.from(m.lastOutput), grads: m.params.map((p) => Array.from(p.grad)) };
    };
    const whole = run();
    const saved = ConvLayer.maxColFloats;
    ConvLayer.maxColFloats = 200; // a couple of samples per chunk
    try {
      const chunked = run();
      assert.deepEqual(chunked.out, whole.out);
      chunked.grads.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - whole.grads[i][j]) < 1e-5, `grad ${i}[${j}]`)));
      gradCheckSpec(spec, 5);
    } finally {
      ConvLayer.maxColFloats = saved;
    }
  }
});

test('the fused bias + relu epilogue equals the relu activation exactly (NaN, ±Infinity, -0, the gradient at 0)', () => {
  const z0 = [-2, -0, 0, 1.5, Number.NaN, Infinity, -Infinity, 1e-45, -1e-45, 3];
  const dy = [1, 2, 3, 4, 5, Number.NaN, Infinity, -Infinity, Number.NaN, 7];
  const n = z0.length;
  const z = Float32Array.from(z0);
  const a = new Float32Array(n);
  biasReluForward(z, a, null, n / 2, 2);
  const want = new Float32Array(n);
  activationForward('relu', Float32Array.from(z0), want, n, 2);
  assert.deepEqual(Array.from(a).map((v) => Object.is(v, -0) ? 'neg0' : v), Array.from(want).map((v) => Object.is(v, -0) ? 'neg0' : v));
  const dz = new Float32Array(n);
  const gb = new Float32Array(2);
  reluBackwardBias(z, Float32Array.from(dy), dz, gb, n / 2, 2);
  const wantDz = new Float32Array(n);
  activationBackward('relu', z, a, Float32Array.from(dy), wantDz, n, 2);
  assert.deepEqual(Array.from(dz), Array.from(wantDz));
  const zb = Float32Array.from([1, -1, 0.5, 0.25]);
  const ab = new Float32Array(4);
  biasReluForward(zb, ab, Float32Array.from([-0.5, 2]), 2, 2);
  assert.deepEqual(Array.from(zb), [0.5, 1, 0, 2.25]);
  assert.deepEqual(Array.from(ab), [0.5, 1, 0, 2.25]);
});
