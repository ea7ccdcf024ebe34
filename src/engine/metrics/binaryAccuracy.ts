import { CountMetric } from './countMetric.ts';
import { checkShapes } from './checkShapes.ts';

/** Keras `binary_accuracy`: the fraction of elements where `(yPred > threshold) == yTrue`. */
export class BinaryAccuracy extends CountMetric {
  readonly kind = 'binary_accuracy';
  readonly threshold: number;

  constructor(name = 'binary_accuracy', threshold = 0.5) {
    super(name);
    this.threshold = threshold;
  }

  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): void {
    checkShapes(this.kind, yTrue, yPred, batchSize, 'dense');
    let c = 0;
    for (let i = 0; i < yPred.length; i++) if ((yPred[i] > this.threshold ? 1 : 0) === yTrue[i]) c++;
    this.correct += c;
    this.total += yPred.length;
  }
}

export function binaryAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number, threshold = 0.5): number {
  const m = new BinaryAccuracy(undefined, threshold);
  m.update(yTrue, yPred, batchSize);
  return m.result();
}
