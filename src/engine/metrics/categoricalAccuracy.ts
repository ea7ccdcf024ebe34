import { CountMetric } from './countMetric.ts';
import { argmaxRow, checkShapes } from './checkShapes.ts';

/** Keras `categorical_accuracy`: rows where argmax(yTrue) == argmax(yPred) (first maximum wins ties). */
export class CategoricalAccuracy extends CountMetric {
  readonly kind = 'categorical_accuracy';

  constructor(name = 'categorical_accuracy') {
    super(name);
  }

  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): void {
    const { width } = checkShapes(this.kind, yTrue, yPred, batchSize, 'dense');
    let c = 0;
    for (let r = 0; r < batchSize; r++) if (argmaxRow(yTrue, r, width) === argmaxRow(yPred, r, width)) c++;
    this.correct += c;
    this.total += batchSize;
  }
}

export function categoricalAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): number {
  const m = new CategoricalAccuracy();
  m.update(yTrue, yPred, batchSize);
  return m.result();
}
