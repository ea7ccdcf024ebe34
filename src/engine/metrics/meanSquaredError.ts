import { MeanElementError } from './meanElementError.ts';

/** Keras `mean_squared_error` (`mse`). */
export class MeanSquaredError extends MeanElementError {
  readonly kind = 'mean_squared_error';
  constructor(name = 'mean_squared_error') {
    super(name);
  }
  protected err(d: number): number {
    return d * d;
  }
}

export function meanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const m = new MeanSquaredError();
  m.update(yTrue, yPred, yPred.length === 0 ? 0 : 1);
  return m.result();
}
