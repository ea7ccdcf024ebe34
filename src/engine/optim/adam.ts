import { adamCoefficients, adamRange, type AdamKernel } from './adamUpdate.ts';
import { BaseOptimizer } from './baseOptimizer.ts';
import type { BaseOptimizerOptions, OptimizerKernels } from './baseOptimizer.ts';
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
 * Adam with PyTorch's formula in float32 (adamUpdate.ts):
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

  /** Set by `useKernels`: a faster equivalent of `adamRange` (amsgrad always runs `adamRange`). */
  private kernel: AdamKernel | null = null;

  override useKernels(k: OptimizerKernels): void {
    super.useKernels(k);
    this.kernel = k.adam ?? null;
  }

  protected update(p: Parameter, lr: number, scale: number, t: number, from = 0, to = p.value.length): void {
    const wd = p.decay === false ? 0 : this.weightDecay;
    const k = adamCoefficients({
      lr, t, scale, clip: this.clipvalue, eps: this.epsilon, b1: this.beta1, b2: this.beta2,
      l2: this.decoupled ? 0 : wd,
      shrink: this.decoupled && wd !== 0 ? 1 - lr * wd : 1,
    });
    const m = this.slot(p, 'exp_avg');
    const v = this.slot(p, 'exp_avg_sq');
    if (this.amsgrad) adamRange(p.value, p.grad, m, v, from, to, k, this.slot(p, 'max_exp_avg_sq'));
    else if (this.kernel !== null) this.kernel(p.value, p.grad, m, v, from, to, k);
    else adamRange(p.value, p.grad, m, v, from, to, k);
  }
}
