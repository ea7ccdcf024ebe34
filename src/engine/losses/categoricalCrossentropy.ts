import type { Tensor } from '../tensor/tensor.ts';
import { EPSILON } from './epsilon.ts';
import type { LossOptions } from './lossTypes.ts';
import { assertSameShape, reduceLoss } from './reduceLoss.ts';

/**
 * Categorical cross-entropy over the last axis (yTrue one-hot or a distribution), then the
 * batch mean. From logits: −Σ y·logSoftmax(z) (log-sum-exp, finite for any z). From
 * probabilities (Keras): p normalised to sum 1, clipped to [1e-7, 1 − 1e-7], −Σ y·log p.
 */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options: LossOptions = {}): Tensor {
  assertSameShape('categoricalCrossentropy', yTrue, yPred);
  let y = yTrue.detach();
  const smoothing = options.labelSmoothing ?? 0;
  if (smoothing > 0) {
    const classes = yPred.shape[yPred.rank - 1];
    y = y.mul(1 - smoothing).add(smoothing / classes);
  }
  const logP = options.fromLogits
    ? yPred.logSoftmax(-1)
    : yPred.div(yPred.sum(-1, true)).clip(EPSILON, 1 - EPSILON).log();
  return reduceLoss(y.mul(logP).sum(-1).neg(), options.sampleWeight, 'categoricalCrossentropy');
}
