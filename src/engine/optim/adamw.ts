import { Adam } from './adam.ts';
import type { AdamOptions } from './adam.ts';

export type AdamWOptions = AdamOptions;

/**
 * Adam with decoupled weight decay (PyTorch's AdamW): before the Adam update,
 * `w *= 1 - lr * weightDecay` for parameters whose `decay` is not false.
 * Default weightDecay 0.004 (Keras; PyTorch's default is 0.01), learning rate 0.001.
 */
export class AdamW extends Adam {
  override readonly type: string = 'adamw';
  protected override readonly decoupled: boolean = true;

  constructor(o: AdamWOptions = {}) {
    super({ ...o, weightDecay: o.weightDecay ?? 0.004 });
  }
}
