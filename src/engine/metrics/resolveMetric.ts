import { SpecError } from '../errors.ts';
import type { Metric } from './metric.ts';
import { BinaryAccuracy } from './binaryAccuracy.ts';
import { CategoricalAccuracy } from './categoricalAccuracy.ts';
import { SparseCategoricalAccuracy } from './sparseCategoricalAccuracy.ts';
import { Precision } from './precision.ts';
import { Recall } from './recall.ts';
import { Auc } from './auc.ts';
import { MeanSquaredError } from './meanSquaredError.ts';
import { MeanAbsoluteError } from './meanAbsoluteError.ts';

export interface ResolveMetricOptions {
  /** Width of the model's output (last axis), used when the loss does not decide `accuracy`. */
  outputWidth?: number;
  /** Whether the labels are class indices (one per sample), likewise. */
  sparseLabels?: boolean;
  /** Where the name came from, for errors (default `metrics`). */
  path?: string;
}

export const METRIC_NAMES = [
  'accuracy', 'acc', 'binary_accuracy', 'categorical_accuracy', 'sparse_categorical_accuracy',
  'precision', 'recall', 'auc', 'mse', 'mean_squared_error', 'mae', 'mean_absolute_error',
] as const;

const key = (s: string): string => s.replace(/_/g, '').toLowerCase();

/**
 * Build a metric from its Keras name (snake_case or camelCase: `accuracy`,
 * `sparse_categorical_accuracy`, `sparseCategoricalAccuracy`, `AUC`, `mse`...).
 *
 * `accuracy` / `acc` resolve as Keras does: binary accuracy with a
 * binary-crossentropy loss, categorical with categorical crossentropy,
 * sparse categorical with sparse categorical crossentropy; for other losses,
 * from the shapes: an output of width 1 gives binary accuracy, class-index
 * labels sparse categorical, otherwise categorical.
 * The metric's `name` is the name asked for (so logs say `accuracy`).
 */
export function resolveMetric(name: string, lossName?: string, o: ResolveMetricOptions = {}): Metric {
  const path = o.path ?? 'metrics';
  if (typeof name !== 'string' || name === '') throw new SpecError(path, `metric must be a non-empty string, got ${JSON.stringify(name)}`);
  switch (key(name)) {
    case 'accuracy':
    case 'acc':
      return resolveAccuracy(name, lossName, o);
    case 'binaryaccuracy': return new BinaryAccuracy(name);
    case 'categoricalaccuracy': return new CategoricalAccuracy(name);
    case 'sparsecategoricalaccuracy': return new SparseCategoricalAccuracy(name);
    case 'precision': return new Precision(name);
    case 'recall': return new Recall(name);
    case 'auc': return new Auc(name);
    case 'mse':
    case 'meansquarederror': return new MeanSquaredError(name);
    case 'mae':
    case 'meanabsoluteerror': return new MeanAbsoluteError(name);
    default:
      throw new SpecError(path, `unknown metric ${JSON.stringify(name)} (known: ${METRIC_NAMES.join(', ')})`);
  }
}

function resolveAccuracy(name: string, lossName: string | undefined, o: ResolveMetricOptions): Metric {
  switch (lossName === undefined ? '' : key(lossName)) {
    case 'binarycrossentropy': return new BinaryAccuracy(name);
    case 'categoricalcrossentropy': return new CategoricalAccuracy(name);
    case 'sparsecategoricalcrossentropy': return new SparseCategoricalAccuracy(name);
  }
  if (o.outputWidth === 1) return new BinaryAccuracy(name);
  if (o.sparseLabels === true) return new SparseCategoricalAccuracy(name);
  return new CategoricalAccuracy(name);
}
