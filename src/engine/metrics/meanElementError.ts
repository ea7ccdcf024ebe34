import type { Metric } from './metric.ts';
import { checkShapes } from './checkShapes.ts';

/** Mean of a per-element error over every element seen (Keras' mean over the last axis, then over samples). */
export abstract class MeanElementError implements Metric {
  abstract readonly kind: string;
  readonly name: string;
  private sum = 0;
  private count = 0;

  constructor(name: string) {
    this.name = name;
  }

  protected abstract err(d: number): number;

  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): void {
    checkShapes(this.kind, yTrue, yPred, batchSize, 'dense');
    let s = 0;
    for (let i = 0; i < yPred.length; i++) s += this.err(yPred[i] - yTrue[i]);
    this.sum += s;
    this.count += yPred.length;
  }

  result(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  reset(): void {
    this.sum = 0;
    this.count = 0;
  }

  merge(other: Metric): void {
    if (!(other instanceof MeanElementError) || other.kind !== this.kind) throw new TypeError(`cannot merge ${other.kind} into ${this.kind}`);
    this.sum += other.sum;
    this.count += other.count;
  }
}
