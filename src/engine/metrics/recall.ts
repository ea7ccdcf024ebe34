import { Precision } from './precision.ts';
import type { ThresholdMetricOptions } from './precision.ts';

/**
 * Keras `Recall`: tp / (tp + fn) over every element (0 when there are no
 * positives), with the same multi-class convention as Precision (micro-average).
 */
export class Recall extends Precision {
  override readonly kind: string = 'recall';

  constructor(name = 'recall', o: ThresholdMetricOptions = {}) {
    super(name, o);
  }

  override result(): number {
    const d = this.counts.tp + this.counts.fn;
    return d === 0 ? 0 : this.counts.tp / d;
  }
}

export function recall(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number, o: ThresholdMetricOptions = {}): number {
  const m = new Recall(undefined, o);
  m.update(yTrue, yPred, batchSize);
  return m.result();
}
