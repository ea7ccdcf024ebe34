/**
 * The epilogue every dense and convolution layer runs after its matrix multiply, over a
 * channels-last [rows, f] output: add the bias per channel, apply the activation; and its
 * backward: the activation's gradient, then the bias gradient summed over the rows. relu is
 * fused into one pass each way (kernels/reluEpilogue.ts, in wasm with the default kernels);
 * other activations go through `activationForwardWith` / `activationBackwardWith`.
 */
import { biasReluForward, reluBackwardBias } from '../kernels/reluEpilogue.ts';
import { activationBackwardWith, activationForwardWith, type ActivationName } from './activations.ts';
import type { Scratch } from './baseLayer.ts';
import type { MatmulKernelSet } from './layerEnv.ts';

/** z += bias (per channel, when given), then the activation into `a` (a scratch, or the array itself; z itself when linear). Returns the layer's output. */
export function biasActivationForward(
  k: MatmulKernelSet, act: ActivationName, z: Float32Array, bias: Float32Array | null, rows: number, f: number, a: Scratch | Float32Array,
): Float32Array {
  if (act === 'relu') {
    const out = a instanceof Float32Array ? a.subarray(0, rows * f) : a.get(rows * f);
    (k.biasReluForward ?? biasReluForward)(z, out, bias, rows, f);
    return out;
  }
  if (bias) {
    for (let r = 0; r < rows; r++) {
      const o = r * f;
      for (let j = 0; j < f; j++) z[o + j] += bias[j];
    }
  }
  if (act === 'linear') return z;
  const out = a instanceof Float32Array ? a.subarray(0, rows * f) : a.get(rows * f);
  activationForwardWith(k, act, z, out, rows * f, f);
  return out;
}

/**
 * dz = activation'(z) ⊙ dy (dy itself when linear or `fromLogits`: a loss fused with the
 * activation already gave dL/dz), then biasGrad[j] += Σ_r dz[r, j]. Returns dz.
 */
export function biasActivationBackward(
  k: MatmulKernelSet, act: ActivationName, z: Float32Array, a: Float32Array, dy: Float32Array,
  biasGrad: Float32Array | null, rows: number, f: number, dzScratch: Scratch, fromLogits: boolean,
): Float32Array {
  if (!fromLogits && act === 'relu') {
    const dz = dzScratch.get(rows * f);
    (k.reluBackwardBias ?? reluBackwardBias)(z, dy, dz, biasGrad, rows, f);
    return dz;
  }
  let dz = dy;
  if (!fromLogits && act !== 'linear') {
    dz = dzScratch.get(rows * f);
    activationBackwardWith(k, act, z, a, dy, dz, rows * f, f);
  }
  if (biasGrad) {
    for (let r = 0; r < rows; r++) {
      const o = r * f;
      for (let j = 0; j < f; j++) biasGrad[j] += dz[o + j];
    }
  }
  return dz;
}
