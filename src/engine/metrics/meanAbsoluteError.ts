import { MeanElementError } from './meanElementError.ts';

/** Keras `mean_absolute_error` (`mae`). */
export class MeanAbsoluteError extends MeanElementError {
  readonly kind = 'mean_absolute_error';
  constructor(name = 'mean_absolute_error') {
    super(name);
  }
  protected err(d: number): number {
    return Math.abs(d);
  }
}

export function meanAbsoluteError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const m = new MeanAbsoluteError();
  m.update(yTrue, yPred, yPred.length === 0 ? 0 : 1);
  return m.result();
}
