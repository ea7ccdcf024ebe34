import { BaseOptimizer } from './baseOptimizer.ts';
import type { BaseOptimizerOptions } from './baseOptimizer.ts';
import type { Parameter } from './types.ts';
import { flushSubnormal } from './subnormal.ts';

export interface RmspropOptions extends BaseOptimizerOptions {
  /** Discount of the squared-gradient average (Keras `rho`, PyTorch `alpha`; default 0.9). */
  rho?: number;
  /** Default 0. */
  momentum?: number;
  /** Normalise by the estimated variance instead of the second moment (default false). */
  centered?: boolean;
  /** Default 1e-7 (Keras; PyTorch's default is 1e-8). */
  epsilon?: number;
  /** L2 penalty added to the gradient, PyTorch-style (default 0). */
  weightDecay?: number;
}

/**
 * RMSprop with PyTorch's formula:
 * `s = rho*s + (1-rho)*g^2; d = sqrt(s - (centered ? a^2 : 0)) + eps` (a: running mean of g);
 * then `buf = momentum*buf + g/d; w -= lr*buf` or, without momentum, `w -= lr*g/d`.
 * Keras puts epsilon inside the square root. Default learning rate 0.001.
 */
export class Rmsprop extends BaseOptimizer {
  readonly type = 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly centered: boolean;
  readonly epsilon: number;
  readonly weightDecay: number;

  constructor(o: RmspropOptions = {}) {
    super(o, 0.001);
    this.rho = o.rho ?? 0.9;
    this.momentum = o.momentum ?? 0;
    this.centered = o.centered ?? false;
    this.epsilon = o.epsilon ?? 1e-7;
    this.weightDecay = o.weightDecay ?? 0;
  }

  protected update(p: Parameter, lr: number, scale: number, _t: number, from = 0, to = p.value.length): void {
    const w = p.value;
    const grad = p.grad;
    const cv = this.clipvalue;
    const rho = this.rho;
    const eps = this.epsilon;
    const mu = this.momentum;
    const wd = p.decay === false ? 0 : this.weightDecay;
    const sq = this.slot(p, 'square_avg');
    const ga = this.centered ? this.slot(p, 'grad_avg') : null;
    const buf = mu > 0 ? this.slot(p, 'momentum_buffer') : null;
    for (let i = from; i < to; i++) {
      let g = grad[i] * scale;
      if (g > cv) g = cv;
      else if (g < -cv) g = -cv;
      if (wd !== 0) g = Math.fround(g + wd * w[i]);
      sq[i] = flushSubnormal(rho * sq[i] + (1 - rho) * g * g);
      let d: number;
      if (ga !== null) {
        ga[i] = flushSubnormal(rho * ga[i] + (1 - rho) * g);
        d = Math.fround(Math.sqrt(Math.max(0, Math.fround(sq[i] - ga[i] * ga[i])))) + eps;
      } else {
        d = Math.fround(Math.sqrt(sq[i])) + eps;
      }
      d = Math.fround(d);
      if (buf !== null) {
        buf[i] = flushSubnormal(mu * buf[i] + g / d);
        w[i] = w[i] - lr * buf[i];
      } else {
        w[i] = w[i] - (lr * g) / d;
      }
    }
  }
}
