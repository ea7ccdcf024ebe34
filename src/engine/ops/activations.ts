/**
 * Activations as compositions of tensor primitives: none carries backward code.
 * Defaults follow Keras's activation functions (leakyRelu negative slope 0.2, elu alpha 1, exact gelu).
 */
import type { Tensor } from '../tensor/tensor.ts';

export function linear(x: Tensor): Tensor {
  return x;
}

/** where(x > 0, x, 0). Not max(0, x): a max rule would split the gradient at exactly 0. */
export function relu(x: Tensor): Tensor {
  return x.relu();
}

/**
 * where(x > 0, x, alpha·x). The default 0.2 is what `activation: "leaky_relu"` means in
 * Keras 3 (`keras.activations.leaky_relu`) and in tf.js; Keras's separate `LeakyReLU`
 * layer defaults to 0.3 and PyTorch to 0.01. The fused layer kernels use the same 0.2.
 */
export function leakyRelu(x: Tensor, alpha = 0.2): Tensor {
  return x.gt(0).select(x, x.mul(alpha));
}

/**
 * where(x > 0, x, alpha·(exp(x) − 1)). exp sees min(x, 0) so a large positive x cannot make
 * an infinite value in the unused branch (whose zero gradient times ∞ would be NaN).
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  const positive = x.gt(0);
  return positive.select(x, x.minimum(0).exp().sub(1).mul(alpha));
}

/**
 * GELU. Keras defaults to the exact form x·Φ(x) = ½x(1 + erf(x/√2)); with `approximate`
 * it uses the tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function gelu(x: Tensor, approximate = false): Tensor {
  if (approximate) {
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(inner.tanh().add(1)).mul(0.5);
  }
  return x.mul(x.mul(Math.SQRT1_2).erf().add(1)).mul(0.5);
}

export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}

export function tanh(x: Tensor): Tensor {
  return x.tanh();
}

/** Softmax over `axis` (last by default): exp(x − detached max) / sum. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return x.softmax(axis);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return x.logSoftmax(axis);
}

/**
 * log(1 + eˣ) = ½x + ½|x| + log1p(exp(−|x|)): finite for any finite x and accurate in both
 * tails (½x + ½|x| is exactly max(x, 0)). Written with |x| twice, not relu, because then the
 * derivative at x = 0 is ½ whatever |x|'s derivative there is (the two |x| terms cancel).
 */
export function softplus(x: Tensor): Tensor {
  const a = x.abs();
  return x.add(a).mul(0.5).add(a.neg().exp().log1p());
}

/** x·sigmoid(x) (Keras `swish`/`silu`). */
export function swish(x: Tensor): Tensor {
  return x.mul(x.sigmoid());
}

