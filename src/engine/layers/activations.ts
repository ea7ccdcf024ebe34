/**
 * Activation functions by Keras name, as fused forward/backward loops over
 * a batch seen as [rows, cols] (softmax normalises over the last axis, cols).
 *
 * The layers do their own backward pass (one fused rule per layer), so these
 * are kernels, not tape ops: forward writes y from x; backward overwrites dx
 * from x, y and dy. Conventions follow Keras / TensorFlow.js: leakyRelu alpha
 * 0.2, elu alpha 1, gelu exact (erf form), relu's gradient at 0 is 0.
 */
import { unaryRange } from '../kernels/elementwise.ts';
import { erf } from '../kernels/erf.ts';
import { canonicalName } from '../model/canonicalName.ts';

export const ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'elu', 'gelu', 'sigmoid', 'tanh', 'softmax', 'softplus'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export const LEAKY_RELU_ALPHA = 0.2;
/** The slope as used: a float32 (as PyTorch's negative_slope on float32 tensors), so `alpha * x` is one float32 multiply (the wasm kernels' operation). */
const LEAKY_ALPHA_F32 = Math.fround(LEAKY_RELU_ALPHA);

/**
 * Faster forms of some activations (e.g. WebAssembly SIMD, kernels/wasm) that must give the
 * same results as the loops here; each returns false when it does not handle the case.
 */
export interface ActivationKernels {
  activationForward?: (name: ActivationName, x: Float32Array, y: Float32Array, n: number) => boolean;
  activationBackward?: (name: ActivationName, x: Float32Array, dy: Float32Array, dx: Float32Array, n: number) => boolean;
}

/** activationForward through `k` when it handles the case. */
export function activationForwardWith(k: ActivationKernels, name: ActivationName, x: Float32Array, y: Float32Array, n: number, cols: number): void {
  if (!k.activationForward?.(name, x, y, n)) activationForward(name, x, y, n, cols);
}

/** activationBackward through `k` when it handles the case. */
export function activationBackwardWith(
  k: ActivationKernels, name: ActivationName, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, cols: number,
): void {
  if (!k.activationBackward?.(name, x, dy, dx, n)) activationBackward(name, x, y, dy, dx, n, cols);
}
export const ELU_ALPHA = 1;

export function matchActivation(s: string): ActivationName | undefined {
  return canonicalName(s, ACTIVATIONS, { none: 'linear', identity: 'linear', leaky_relu: 'leakyRelu' });
}

/** Approximate floating-point operations per element (forward), for FLOP estimates. */
export const ACTIVATION_FLOPS: Readonly<Record<ActivationName, number>> = {
  linear: 0, relu: 1, leakyRelu: 2, elu: 4, gelu: 10, sigmoid: 4, tanh: 6, softmax: 5, softplus: 5,
};

const INV_SQRT2 = 1 / Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function activationForward(name: ActivationName, x: Float32Array, y: Float32Array, n: number, cols: number): void {
  switch (name) {
    case 'linear':
      if (y !== x) y.set(x.subarray(0, n));
      return;
    case 'relu':
      // `<= 0 ? 0 : x` (not `> 0 ? x : 0`) so a NaN propagates, as in PyTorch.
      for (let i = 0; i < n; i++) y[i] = x[i] <= 0 ? 0 : x[i];
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : LEAKY_ALPHA_F32 * x[i];
      return;
    case 'elu':
      for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : ELU_ALPHA * Math.expm1(x[i]);
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) y[i] = 0.5 * x[i] * (1 + erf(x[i] * INV_SQRT2));
      return;
    case 'sigmoid':
      unaryRange('sigmoid', x, y, 0, n);
      return;
    case 'tanh':
      unaryRange('tanh', x, y, 0, n);
      return;
    case 'softplus':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        y[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return;
    case 'softmax':
      softmaxRows(x, y, n / cols, cols);
      return;
  }
}

/** Row-wise softmax with the row max subtracted first. */
export function softmaxRows(x: Float32Array, y: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j] > m) m = x[o + j];
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j] - m);
      y[o + j] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let j = 0; j < cols; j++) y[o + j] *= inv;
  }
}

/** dx = f'(x) * dy (softmax: the Jacobian-vector product per row). Overwrites dx. */
export function activationBackward(
  name: ActivationName, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, cols: number,
): void {
  switch (name) {
    case 'linear':
      if (dx !== dy) dx.set(dy.subarray(0, n));
      return;
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : LEAKY_ALPHA_F32 * dy[i];
      return;
    case 'elu':
      for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + ELU_ALPHA);
      return;
    case 'gelu':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        const cdf = 0.5 * (1 + erf(v * INV_SQRT2));
        dx[i] = dy[i] * (cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case 'softplus':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        dx[i] = dy[i] * (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
      }
      return;
    case 'softmax': {
      const rows = n / cols;
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += dy[o + j] * y[o + j];
        for (let j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
      }
      return;
    }
  }
}
