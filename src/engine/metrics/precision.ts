import type { Metric } from './metric.ts';
import { confusionCounts } from './confusionCounts.ts';
import type { ConfusionCounts } from './confusionCounts.ts';

export interface ThresholdMetricOptions {
  /** Default 0.5. */
  threshold?: number;
  /** Only this output column counts (Keras `class_id`). */
  classId?: number;
}

/**
 * Keras `Precision`: tp / (tp + fp) over every element (0 when nothing is
 * predicted positive). For multi-class outputs this is the micro-average over
 * all classes of "this class's output is above the threshold" (as Keras
 * computes with one-hot labels; class-index labels are one-hot encoded first),
 * not the macro-average of per-class precisions; use `classId` for one class.
 */
export class Precision implements Metric {
  readonly kind: string = 'precision';
  readonly name: string;
  readonly threshold: number;
  readonly classId: number | undefined;
  protected counts: ConfusionCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };

  constructor(name = 'precision', o: ThresholdMetricOptions = {}) {
    this.name = name;
    this.threshold = o.threshold ?? 0.5;
    this.classId = o.classId;
  }

  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): void {
    confusionCounts(this.kind, yTrue, yPred, batchSize, this.threshold, this.classId, this.counts);
  }

  result(): number {
    const d = this.counts.tp + this.counts.fp;
    return d === 0 ? 0 : this.counts.tp / d;
  }

  reset(): void {
    this.counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  }

  merge(other: Metric): void {
    if (!(other instanceof Precision) || other.kind !== this.kind) throw new TypeError(`cannot merge ${other.kind} into ${this.kind}`);
    this.counts.tp += other.counts.tp;
    this.counts.fp += other.counts.fp;
    this.counts.fn += other.counts.fn;
    this.counts.tn += other.counts.tn;
  }
}

export function precision(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number, o: ThresholdMetricOptions = {}): number {
  const m = new Precision(undefined, o);
  m.update(yTrue, yPred, batchSize);
  return m.result();
}
