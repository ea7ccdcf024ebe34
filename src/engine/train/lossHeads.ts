/**
 * Losses as fused "heads" over the model's flat output: each computes the
 * weighted sum of per-sample losses and, when asked, writes dL/d(output)
 * for Keras's reduction (sum over the batch of w_i * loss_i, divided by the
 * batch size). Per-sample loss is the mean over the last axis (mse, mae,
 * binary) or the sum over classes (categorical), averaged over any inner rows.
 *
 * When the model ends in softmax (categorical / sparse categorical) or
 * sigmoid (binary), the head works from the logits instead of the
 * probabilities, as Keras does under the hood: log-sum-exp, no clipping,
 * and the gradient (p - y) skips the activation's backward.
 * Otherwise probabilities are clipped to [1e-7, 1 - 1e-7] as in Keras.
 *
 * These work on Float32Arrays for the training hot path; the tensor-level
 * losses in `src/engine/losses/` are the autograd versions of the same maths.
 */
import { canonicalName } from '../model/canonicalName.ts';

export const LOSSES = [
  'meanSquaredError', 'meanAbsoluteError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy',
] as const;
export type LossName = (typeof LOSSES)[number];

export function matchLoss(s: string): LossName | undefined {
  return canonicalName(s, LOSSES, { mse: 'meanSquaredError', mae: 'meanAbsoluteError' });
}

export const EPSILON = 1e-7;

export interface LossHead {
  readonly name: LossName;
  /** True when `compute` takes the pre-activation logits (the final softmax/sigmoid is fused). */
  readonly fromLogits: boolean;
  /** Number of label values per sample, given the number of output values per sample. */
  labelSize(outSize: number, cols: number): number;
  /**
   * Returns sum_i w_i * loss_i over the batch. When `grad` is given, overwrites it with
   * dL/d(input) for L = that sum / divisor (default `batch`; a slice of a larger batch passes
   * the whole batch's size, and each row's gradient is then what the whole batch gives it).
   * `rowLosses`, when given, receives each w_i * loss_i (the terms of the sum, in order).
   */
  compute(
    out: Float32Array, y: Float32Array, batch: number, outSize: number, cols: number,
    weights: Float32Array | null, grad: Float32Array | null, divisor?: number, rowLosses?: Float64Array,
  ): number;
}

/** Picks the head for a loss and the model's final activation. */
export function createLossHead(name: LossName, finalActivation: string | undefined): LossHead {
  const softmaxOut = finalActivation === 'softmax';
  const sigmoidOut = finalActivation === 'sigmoid';
  switch (name) {
    case 'meanSquaredError':
      return elementwiseHead(name, (p, t) => (p - t) * (p - t), (p, t) => 2 * (p - t));
    case 'meanAbsoluteError':
      return elementwiseHead(name, (p, t) => Math.abs(p - t), (p, t) => Math.sign(p - t));
    case 'binaryCrossentropy':
      if (sigmoidOut) {
        return elementwiseHead(name, (z, t) => Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z))), (z, t) => sigmoid(z) - t, true);
      }
      return elementwiseHead(
        name,
        (p, t) => {
          const q = clip(p);
          return -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
        },
        (p, t) => (p <= EPSILON || p >= 1 - EPSILON ? 0 : -t / p + (1 - t) / (1 - p)),
      );
    case 'categoricalCrossentropy':
      return classHead(name, false, softmaxOut);
    case 'sparseCategoricalCrossentropy':
      return classHead(name, true, softmaxOut);
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function clip(p: number): number {
  return p < EPSILON ? EPSILON : p > 1 - EPSILON ? 1 - EPSILON : p;
}

function elementwiseHead(
  name: LossName, f: (p: number, t: number) => number, df: (p: number, t: number) => number, fromLogits = false,
): LossHead {
  return {
    name,
    fromLogits,
    labelSize: (outSize) => outSize,
    compute(out, y, batch, outSize, _cols, weights, grad, divisor = batch, rowLosses) {
      // Per-sample loss = mean over all its values (the mean over the last axis, then over inner rows).
      let total = 0;
      const invN = 1 / outSize;
      for (let b = 0; b < batch; b++) {
        const w = weights ? weights[b] : 1;
        const o = b * outSize;
        let s = 0;
        for (let j = 0; j < outSize; j++) s += f(out[o + j], y[o + j]);
        const term = w * s * invN;
        total += term;
        if (rowLosses) rowLosses[b] = term;
        if (grad) {
          const g = (w * invN) / divisor;
          for (let j = 0; j < outSize; j++) grad[o + j] = g * df(out[o + j], y[o + j]);
        }
      }
      return total;
    },
  };
}

function classHead(name: LossName, sparse: boolean, fromLogits: boolean): LossHead {
  return {
    name,
    fromLogits,
    labelSize: (outSize, cols) => (sparse ? outSize / cols : outSize),
    compute(out, y, batch, outSize, cols, weights, grad, divisor = batch, rowLosses) {
      const rows = outSize / cols;
      const yStride = sparse ? rows : outSize;
      let total = 0;
      for (let b = 0; b < batch; b++) {
        const w = weights ? weights[b] : 1;
        let sampleLoss = 0;
        const g = w / (divisor * rows);
        for (let r = 0; r < rows; r++) {
          const o = b * outSize + r * cols;
          const yo = b * yStride + (sparse ? r : r * cols);
          const label = sparse ? y[yo] : -1;
          if (fromLogits) {
            let m = -Infinity;
            for (let j = 0; j < cols; j++) if (out[o + j] > m) m = out[o + j];
            let se = 0;
            if (grad) {
              // Each exp once: kept in grad (rounded to float32 there) until it becomes the
              // gradient, softmax = e / se; the loss uses se, summed from the unrounded values.
              for (let j = 0; j < cols; j++) {
                const e = Math.exp(out[o + j] - m);
                grad[o + j] = e;
                se += e;
              }
            } else {
              for (let j = 0; j < cols; j++) se += Math.exp(out[o + j] - m);
            }
            const lse = m + Math.log(se);
            if (sparse) {
              sampleLoss += lse - out[o + label];
              if (grad) {
                const inv = 1 / se;
                for (let j = 0; j < cols; j++) grad[o + j] = g * (grad[o + j] * inv - (j === label ? 1 : 0));
              }
            } else {
              let ysum = 0;
              for (let j = 0; j < cols; j++) {
                ysum += y[yo + j];
                sampleLoss += y[yo + j] * (lse - out[o + j]);
              }
              if (grad) {
                const inv = 1 / se;
                for (let j = 0; j < cols; j++) grad[o + j] = g * (grad[o + j] * inv * ysum - y[yo + j]);
              }
            }
          } else {
            // Keras: normalise the probabilities to sum 1, clip, take -sum y log p.
            let s = 0;
            for (let j = 0; j < cols; j++) s += out[o + j];
            if (sparse) {
              const p = out[o + label] / s;
              sampleLoss -= Math.log(clip(p));
              if (grad) {
                const clipped = p <= EPSILON || p >= 1 - EPSILON;
                for (let j = 0; j < cols; j++) grad[o + j] = clipped ? 0 : g * ((j === label ? -1 / out[o + j] : 0) + 1 / s);
              }
            } else {
              let ysum = 0;
              for (let j = 0; j < cols; j++) {
                ysum += y[yo + j];
                sampleLoss -= y[yo + j] * Math.log(clip(out[o + j] / s));
              }
              if (grad) {
                for (let j = 0; j < cols; j++) {
                  const p = out[o + j] / s;
                  const clipped = p <= EPSILON || p >= 1 - EPSILON;
                  grad[o + j] = g * ((clipped ? 0 : -y[yo + j] / out[o + j]) + ysum / s);
                }
              }
            }
          }
        }
        const term = (w * sampleLoss) / rows;
        total += term;
        if (rowLosses) rowLosses[b] = term;
      }
      return total;
    },
  };
}
