/**
 * A streaming metric: feed it every batch with update(), read the epoch's
 * value with result(). Accumulators keep exact counts / sums (or, for the
 * exact AUC, every score), so the result over an epoch equals the metric
 * computed over all its samples at once, however the batches were cut.
 *
 * Conventions for update(yTrue, yPred, batchSize):
 * - yPred holds `batchSize` rows of `width = yPred.length / batchSize` values;
 * - yTrue holds either the same number of values (binary or one-hot labels,
 *   regression targets) or one class index per row (sparse labels), as the metric needs.
 */
export interface Metric {
  /** The name the metric was asked for (logs use it: `accuracy`, `val_accuracy`). */
  readonly name: string;
  /** The resolved Keras metric, e.g. `sparse_categorical_accuracy`. */
  readonly kind: string;
  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): void;
  result(): number;
  reset(): void;
  /** Add another accumulator of the same kind (e.g. from another thread's slice). */
  merge(other: Metric): void;
}
