/**
 * Activations for the recurrent cells, applied in place on a range, with derivatives
 * computed from the OUTPUT (the cells keep only activated gates and states, never the
 * pre-activations). That restricts the choice to functions whose derivative is a function
 * of their value: linear, relu, leakyRelu (0.2), elu, sigmoid, tanh, softplus. gelu and
 * softmax are rejected at parse time for recurrent layers. One loop per function, chosen
 * by a switch per call (no per-element closures). sigmoid and tanh are the float32
 * polynomial forms of kernels/recurrentGates.ts (the fused default path's).
 */
import { ELU_ALPHA, LEAKY_RELU_ALPHA } from './activations.ts';
import { sigmoidF32, tanhF32 } from '../kernels/recurrentGates.ts';

export const RECURRENT_ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh', 'softplus'] as const;
export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number];

/** buf[start, end) = f(buf[start, end)). */
export function activateRange(name: RecurrentActivation, buf: Float32Array, start: number, end: number): void {
  switch (name) {
    case 'linear':
      return;
    case 'relu':
      for (let i = start; i < end; i++) buf[i] = buf[i] <= 0 ? 0 : buf[i];
      return;
    case 'leakyRelu':
      for (let i = start; i < end; i++) buf[i] = buf[i] > 0 ? buf[i] : LEAKY_RELU_ALPHA * buf[i];
      return;
    case 'elu':
      for (let i = start; i < end; i++) buf[i] = buf[i] > 0 ? buf[i] : ELU_ALPHA * Math.expm1(buf[i]);
      return;
    case 'sigmoid':
      // The float32 forms the fused gate kernels use (kernels/recurrentGates.ts), so every
      // recurrent layer computes the same function.
      for (let i = start; i < end; i++) buf[i] = sigmoidF32(buf[i]);
      return;
    case 'tanh':
      for (let i = start; i < end; i++) buf[i] = tanhF32(buf[i]);
      return;
    case 'softplus':
      for (let i = start; i < end; i++) {
        const v = buf[i];
        buf[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      }
      return;
  }
}

/** d[dOff + k] *= f'(x) where y[yOff + k] = f(x), for k in [0, n). */
export function mulDerivative(name: RecurrentActivation, y: Float32Array, yOff: number, d: Float32Array, dOff: number, n: number): void {
  switch (name) {
    case 'linear':
      return;
    case 'relu':
      for (let k = 0; k < n; k++) if (!(y[yOff + k] > 0)) d[dOff + k] = 0;
      return;
    case 'leakyRelu':
      for (let k = 0; k < n; k++) if (!(y[yOff + k] > 0)) d[dOff + k] *= LEAKY_RELU_ALPHA;
      return;
    case 'elu':
      for (let k = 0; k < n; k++) {
        const v = y[yOff + k];
        if (!(v > 0)) d[dOff + k] *= v + ELU_ALPHA;
      }
      return;
    case 'sigmoid':
      for (let k = 0; k < n; k++) {
        const v = y[yOff + k];
        d[dOff + k] *= v * (1 - v);
      }
      return;
    case 'tanh':
      for (let k = 0; k < n; k++) {
        const v = y[yOff + k];
        d[dOff + k] *= 1 - v * v;
      }
      return;
    case 'softplus':
      for (let k = 0; k < n; k++) d[dOff + k] *= -Math.expm1(-y[yOff + k]);
      return;
  }
}
