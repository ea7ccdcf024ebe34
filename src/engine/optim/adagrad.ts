import { BaseOptimizer } from './baseOptimizer.ts';
import type { BaseOptimizerOptions } from './baseOptimizer.ts';
import type { Parameter } from './types.ts';

export interface AdagradOptions extends BaseOptimizerOptions {
  /** Starting value of the squared-gradient sum (default 0.1 as Keras; PyTorch's is 0). */
  initialAccumulatorValue?: number;
  /** Default 1e-7 (Keras; PyTorch's default is 1e-10). */
  epsilon?: number;
  /** L2 penalty added to the gradient, PyTorch-style (default 0). */
  weightDecay?: number;
}

/**
 * Adagrad with PyTorch's formula (no lr_decay): `s += g^2; w -= lr * g / (sqrt(s) + eps)`.
 * Keras puts epsilon inside the square root. Default learning rate 0.001.
 */
export class Adagrad extends BaseOptimizer {
  readonly type = 'adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  readonly weightDecay: number;

  constructor(o: AdagradOptions = {}) {
    super(o, 0.001);
    this.initialAccumulatorValue = o.initialAccumulatorValue ?? 0.1;
    this.epsilon = o.epsilon ?? 1e-7;
    this.weightDecay = o.weightDecay ?? 0;
  }

  protected update(p: Parameter, lr: number, scale: number, _t: number, from = 0, to = p.value.length): void {
    const w = p.value;
    const grad = p.grad;
    const cv = this.clipvalue;
    const eps = this.epsilon;
    const wd = p.decay === false ? 0 : this.weightDecay;
    const sum = this.slot(p, 'sum', this.initialAccumulatorValue);
    for (let i = from; i < to; i++) {
      let g = grad[i] * scale;
      if (g > cv) g = cv;
      else if (g < -cv) g = -cv;
      if (wd !== 0) g = Math.fround(g + wd * w[i]);
      sum[i] = sum[i] + g * g;
      const d = Math.fround(Math.fround(Math.sqrt(sum[i])) + eps);
      w[i] = w[i] - (lr * g) / d;
    }
  }
}
