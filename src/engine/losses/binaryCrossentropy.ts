import { softplus } from '../ops/activations.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { EPSILON } from './epsilon.ts';
import type { LossOptions } from './lossTypes.ts';
import { assertSameShape, reduceLoss } from './reduceLoss.ts';

/**
 * Binary cross-entropy, mean over the last axis then the batch.
 * From logits z: softplus(z) − y·z (softplus through log1p(exp(−|z|))), finite for any z.
 * From probabilities p (Keras): p clipped to [1e-7, 1 − 1e-7], −(y·log p + (1 − y)·log(1 − p)).
 */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, options: LossOptions = {}): Tensor {
  assertSameShape('binaryCrossentropy', yTrue, yPred);
  let y = yTrue.detach();
  const smoothing = options.labelSmoothing ?? 0;
  if (smoothing > 0) y = y.mul(1 - smoothing).add(0.5 * smoothing);
  let elementwise: Tensor;
  if (options.fromLogits) {
    elementwise = softplus(yPred).sub(yPred.mul(y));
  } else {
    const p = yPred.clip(EPSILON, 1 - EPSILON);
    elementwise = y.mul(p.log()).add(y.neg().add(1).mul(p.neg().add(1).log())).neg();
  }
  return reduceLoss(elementwise.mean(-1), options.sampleWeight, 'binaryCrossentropy');
}
