import { BaseOptimizer } from './baseOptimizer.ts';
import type { BaseOptimizerOptions } from './baseOptimizer.ts';
import type { Parameter } from './types.ts';

export interface AdamOptions extends BaseOptimizerOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (Keras; PyTorch's default is 1e-8). */
  epsilon?: number;
  /** Use the maximum of past second moments (default false). */
  amsgrad?: boolean;
  /** L2 penalty added to the gradient as PyTorch's Adam does (default 0). Skips `decay: false`. */
  weightDecay?: number;
}

/**
 * Adam with PyTorch's formula:
 * `m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;`
 * `w -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)`
 * (Keras adds epsilon before scaling by sqrt(1-b2^t); the two agree up to epsilon's size).
 * Default learning rate 0.001.
 */
export class Adam extends BaseOptimizer {
  readonly type: string = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  readonly weightDecay: number;
  /** True for AdamW: weight decay is `w *= 1 - lr*wd` instead of an L2 term in the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(o: AdamOptions = {}) {
    super(o, 0.001);
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.epsilon = o.epsilon ?? 1e-7;
    this.amsgrad = o.amsgrad ?? false;
    this.weightDecay = o.weightDecay ?? 0;
  }

  protected update(p: Parameter, lr: number, scale: number, t: number, from = 0, to = p.value.length): void {
    const w = p.value;
    const grad = p.grad;
    const cv = this.clipvalue;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const eps = this.epsilon;
    const wd = p.decay === false ? 0 : this.weightDecay;
    const l2 = this.decoupled ? 0 : wd;
    const shrink = this.decoupled && wd !== 0 ? 1 - lr * wd : 1;
    const m = this.slot(p, 'exp_avg');
    const v = this.slot(p, 'exp_avg_sq');
    const vmax = this.amsgrad ? this.slot(p, 'max_exp_avg_sq') : null;
    const stepSize = lr / (1 - Math.pow(b1, t));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, t));
    for (let i = from; i < to; i++) {
      let g = grad[i] * scale;
      if (g > cv) g = cv;
      else if (g < -cv) g = -cv;
      if (shrink !== 1) w[i] = w[i] * shrink;
      if (l2 !== 0) g = Math.fround(g + l2 * w[i]);
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      let vi = v[i];
      if (vmax !== null) {
        if (vi > vmax[i]) vmax[i] = vi;
        vi = vmax[i];
      }
      w[i] = w[i] - (stepSize * m[i]) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}
