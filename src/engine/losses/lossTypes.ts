import type { Tensor } from '../tensor/tensor.ts';

export interface LossOptions {
  /**
   * yPred holds logits rather than probabilities (cross-entropies only; the regression
   * losses accept and ignore it).
   */
  fromLogits?: boolean;
  /** Per-sample weights, shape [batch] (e.g. from classWeight). */
  sampleWeight?: Tensor;
  /** Keras label smoothing for binary/categorical cross-entropy (0 = none). */
  labelSmoothing?: number;
}

/** Keras argument order: (yTrue, yPred). Returns a scalar tensor: the mean over the batch. */
export type LossFn = (yTrue: Tensor, yPred: Tensor, options?: LossOptions) => Tensor;
