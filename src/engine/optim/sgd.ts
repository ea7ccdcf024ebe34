import { BaseOptimizer } from './baseOptimizer.ts';
import type { BaseOptimizerOptions } from './baseOptimizer.ts';
import type { Parameter } from './types.ts';
import { flushSubnormal } from './subnormal.ts';

export interface SgdOptions extends BaseOptimizerOptions {
  /** Default 0. */
  momentum?: number;
  /** Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient, PyTorch-style (default 0). Skips parameters with `decay: false`. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with PyTorch's update (dampening 0):
 * `g += wd*w; buf = momentum*buf + g; w -= lr * (nesterov ? g + momentum*buf : buf)`.
 * With a constant learning rate this equals Keras' velocity form.
 * Default learning rate 0.01 (Keras).
 */
export class Sgd extends BaseOptimizer {
  readonly type = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(o: SgdOptions = {}) {
    super(o, 0.01);
    this.momentum = o.momentum ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
  }

  protected update(p: Parameter, lr: number, scale: number, _t: number, from = 0, to = p.value.length): void {
    const w = p.value;
    const grad = p.grad;
    const cv = this.clipvalue;
    const wd = p.decay === false ? 0 : this.weightDecay;
    const mu = this.momentum;
    const buf = mu !== 0 ? this.slot(p, 'momentum_buffer') : null;
    for (let i = from; i < to; i++) {
      let g = grad[i] * scale;
      if (g > cv) g = cv;
      else if (g < -cv) g = -cv;
      if (wd !== 0) g = Math.fround(g + wd * w[i]);
      if (buf !== null) {
        buf[i] = flushSubnormal(mu * buf[i] + g);
        g = this.nesterov ? Math.fround(g + mu * buf[i]) : buf[i];
      }
      w[i] = w[i] - lr * g;
    }
  }
}
