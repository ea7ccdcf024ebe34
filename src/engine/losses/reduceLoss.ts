/**
 * Keras's default reduction ("sum over batch size"): per-sample losses, optionally weighted
 * per sample, summed and divided by the number of per-sample values (not by the weights' sum).
 */
import type { Tensor } from '../tensor/tensor.ts';
import { formatShape } from '../tensor/shape.ts';

export function reduceLoss(perSample: Tensor, sampleWeight: Tensor | undefined, op: string): Tensor {
  if (sampleWeight === undefined) return perSample.mean();
  const batch = perSample.shape[0] ?? 1;
  if (sampleWeight.size !== batch) {
    throw new Error(
      `${op}: sampleWeight of shape ${formatShape(sampleWeight.shape)} does not match batch of per-sample losses ${formatShape(perSample.shape)}`,
    );
  }
  const w = sampleWeight.reshape([batch, ...perSample.shape.slice(1).map(() => 1)]);
  return perSample.mul(w).sum().div(Math.max(perSample.size, 1));
}

/** Validates that yTrue and yPred have the same shape. */
export function assertSameShape(op: string, yTrue: Tensor, yPred: Tensor): void {
  const same = yTrue.rank === yPred.rank && yTrue.shape.every((d, i) => d === yPred.shape[i]);
  if (!same) {
    throw new Error(`${op}: yTrue shape ${formatShape(yTrue.shape)} and yPred shape ${formatShape(yPred.shape)} do not match`);
  }
}
