import type { Tensor } from '../tensor/tensor.ts';
import type { LossOptions } from './lossTypes.ts';
import { assertSameShape, reduceLoss } from './reduceLoss.ts';

/** mean((yTrue − yPred)²) over the last axis, then over the batch. */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor, options: LossOptions = {}): Tensor {
  assertSameShape('meanSquaredError', yTrue, yPred);
  const perSample = yPred.sub(yTrue.detach()).square().mean(-1);
  return reduceLoss(perSample, options.sampleWeight, 'meanSquaredError');
}
