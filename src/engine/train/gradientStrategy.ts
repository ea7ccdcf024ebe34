/**
 * The seam fit uses to compute a training batch's gradient (`FitOptions.gradients`).
 * The default is the model's own `computeGradients`; a caller can substitute e.g. a
 * data-parallel one that splits the batch over replicas sharing the weights and reduces
 * their gradients into the model's grads (src/workers/parallel/ does, over threads).
 */
export interface GradientStrategy {
  /**
   * Same contract as `Sequential.computeGradients(x, y, batch, weights, true)`: returns the
   * batch's loss (with regularisation) and leaves its gradient in the model's grads, or,
   * when `step` is present, for `step` to compute (a data-parallel strategy may compute the
   * weight gradients there, by parts, together with the update).
   */
  computeGradients(x: Float32Array, y: Float32Array, batch: number, weights: Float32Array | null): number;
  /**
   * How many input batches fit should alternate between (default 1). 2 when `step` may
   * return while other threads still read the batch `computeGradients` was given: fit then
   * gathers the next batch into the other buffer. A caller of `trainStep` other than fit
   * must likewise leave a batch unchanged until the next-but-one batch.
   */
  readonly inputBuffers?: number;
  /** The predictions of the last batch (rows 0..batch), for the metrics. */
  readonly lastOutput: Float32Array;
  /**
   * When present, trainStep calls it instead of `optimizer.step(params)` after a finite
   * loss (e.g. to finish the gradient reduction and update the weights in parallel). It may
   * return before the update is done if it registers the wait with `model.setPendingUpdate`.
   */
  step?(): void;
}
