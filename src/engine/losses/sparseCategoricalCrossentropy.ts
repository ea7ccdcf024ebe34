import { Tensor } from '../tensor/tensor.ts';
import { formatShape } from '../tensor/shape.ts';
import { categoricalCrossentropy } from './categoricalCrossentropy.ts';
import type { LossOptions } from './lossTypes.ts';

/**
 * Categorical cross-entropy with integer class labels: yTrue of shape [batch] or [batch, 1]
 * (Keras accepts both), yPred of shape [batch, classes]. Labels become one-hot rows (a
 * constant), so the gradient is the same composite as categoricalCrossentropy.
 */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options: LossOptions = {}): Tensor {
  const classes = yPred.shape[yPred.rank - 1];
  const batchShape = yPred.shape.slice(0, -1);
  const labels = yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === 1
    ? yTrue.reshape(yTrue.shape.slice(0, -1))
    : yTrue;
  if (yPred.rank < 1 || labels.rank !== batchShape.length || labels.shape.some((d, i) => d !== batchShape[i])) {
    throw new Error(
      `sparseCategoricalCrossentropy: yTrue shape ${formatShape(yTrue.shape)} does not match yPred shape ${formatShape(yPred.shape)} (expected labels of shape ${formatShape(batchShape)})`,
    );
  }
  return categoricalCrossentropy(Tensor.oneHot(labels, classes), yPred, options);
}
