import type { Metric } from './metric.ts';

/** A metric that is `correct / total`; subclasses count a batch. */
export abstract class CountMetric implements Metric {
  abstract readonly kind: string;
  readonly name: string;
  protected correct = 0;
  protected total = 0;

  constructor(name: string) {
    this.name = name;
  }

  abstract update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): void;

  result(): number {
    return this.total === 0 ? 0 : this.correct / this.total;
  }

  reset(): void {
    this.correct = 0;
    this.total = 0;
  }

  merge(other: Metric): void {
    if (!(other instanceof CountMetric) || other.kind !== this.kind) throw new TypeError(`cannot merge ${other.kind} into ${this.kind}`);
    this.correct += other.correct;
    this.total += other.total;
  }
}
