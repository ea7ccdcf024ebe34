import { CountMetric } from './countMetric.ts';
import { argmaxRow, checkShapes } from './checkShapes.ts';

/** Keras `sparse_categorical_accuracy`: rows where the class index yTrue == argmax(yPred). */
export class SparseCategoricalAccuracy extends CountMetric {
  readonly kind = 'sparse_categorical_accuracy';

  constructor(name = 'sparse_categorical_accuracy') {
    super(name);
  }

  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): void {
    const { width } = checkShapes(this.kind, yTrue, yPred, batchSize, 'sparse');
    let c = 0;
    for (let r = 0; r < batchSize; r++) if (argmaxRow(yPred, r, width) === yTrue[r]) c++;
    this.correct += c;
    this.total += batchSize;
  }
}

export function sparseCategoricalAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): number {
  const m = new SparseCategoricalAccuracy();
  m.update(yTrue, yPred, batchSize);
  return m.result();
}
