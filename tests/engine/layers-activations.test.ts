/**
 * Conformance: the layers' fused activation kernels (src/engine/layers/activations.ts)
 * against the tensor engine's activation ops and autograd (src/engine/ops/), forward and
 * gradient, on the same inputs. Two implementations, one set of answers.
 */
import { test } from 'node:test';
import { Tensor } from '../../src/engine/tensor/index.ts';
import * as ops from '../../src/engine/ops/index.ts';
import { activationBackward, activationForward, LAYER_ACTIVATIONS, LEAKY_RELU_ALPHA, type LayerActivationName } from '../../src/engine/layers/index.ts';
import { Rng } from '../../src/engine/rng.ts';
import { assertClose } from './helpers/modelHelpers.ts';

const rows = 4;
const cols = 5;
const r = new Rng(3);
const xs = Float32Array.from({ length: rows * cols }, () => r.normal() * 2);
xs[0] = 0.5; // keep clear of relu's kink
const dy = Float32Array.from({ length: rows * cols }, () => r.normal());

const tensorOp: Record<LayerActivationName, (t: Tensor) => Tensor> = {
  linear: ops.linear,
  relu: ops.relu,
  // Name-based leakyRelu is Keras 3's activations.leaky_relu (negative slope 0.2).
  leakyRelu: (t) => ops.leakyRelu(t, LEAKY_RELU_ALPHA),
  elu: (t) => ops.elu(t),
  gelu: (t) => ops.gelu(t),
  sigmoid: ops.sigmoid,
  tanh: ops.tanh,
  softmax: (t) => ops.softmax(t, -1),
  softplus: ops.softplus,
};

for (const name of LAYER_ACTIVATIONS) {
  test(`activation ${name}: fused kernel == tensor op (forward and gradient)`, () => {
    const n = rows * cols;
    const y = new Float32Array(n);
    activationForward(name, xs, y, n, cols);
    const dx = new Float32Array(n);
    activationBackward(name, xs, y, dy, dx, n, cols);

    const x = new Tensor(Float32Array.from(xs), [rows, cols], { requiresGrad: true });
    const out = tensorOp[name](x);
    // linear returns its input: multiply by 1 so there is a graph to walk.
    const yt = name === 'linear' ? out.mul(1) : out;
    yt.backward(new Tensor(Float32Array.from(dy), [rows, cols]));
    assertClose(y, yt.data, `${name} forward`, 1e-5, 1e-6);
    assertClose(dx, (x.grad as Tensor).data, `${name} gradient`, 1e-4, 1e-6);
  });
}
