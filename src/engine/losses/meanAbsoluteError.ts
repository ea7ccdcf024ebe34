import type { Tensor } from '../tensor/tensor.ts';
import type { LossOptions } from './lossTypes.ts';
import { assertSameShape, reduceLoss } from './reduceLoss.ts';

/** mean(|yTrue − yPred|) over the last axis, then over the batch. */
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor, options: LossOptions = {}): Tensor {
  assertSameShape('meanAbsoluteError', yTrue, yPred);
  const perSample = yPred.sub(yTrue.detach()).abs().mean(-1);
  return reduceLoss(perSample, options.sampleWeight, 'meanAbsoluteError');
}
