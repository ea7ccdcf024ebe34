/**
 * Dropout (inverted, as Keras and PyTorch): in training each element is zeroed
 * with probability `rate` and the survivors are scaled by 1/(1-rate); at
 * inference it is the identity. Masks come from the training Rng, so a fixed
 * seed gives the same masks, and a resumed checkpoint continues the stream.
 */
import { finiteNumber } from '../model/fields.ts';
import { BaseLayer, sizeOfShape } from './baseLayer.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface DropoutConfig extends LayerConfigBase {
  type: 'dropout';
  rate: number;
}

export const dropoutDef: LayerDef<DropoutConfig> = {
  type: 'dropout',
  fields: ['rate'],
  parse: (raw, ctx, name) => ({ type: 'dropout', name, rate: finiteNumber(raw, 'rate', ctx, undefined, { min: 0, max: 1, maxExclusive: true }) }),
  outputShape: (inputShape) => [...inputShape],
  paramDecls: () => [],
  flops: (inputShape) => sizeOfShape(inputShape),
  create: (cfg, index) => new Dropout(cfg, index),
};

export class Dropout extends BaseLayer<DropoutConfig> {
  private readonly maskBuf = this.scratch();
  private readonly y = this.scratch();
  private readonly dx = this.scratch();
  /** The mask of the last training forward (scaled: 0 or 1/(1-rate)); empty when the last forward was identity. */
  mask: Float32Array = new Float32Array(0);

  constructor(cfg: DropoutConfig, index: number) {
    super(dropoutDef, cfg, index);
  }

  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array {
    const rate = this.config.rate;
    if (!ctx.training || rate === 0) {
      this.mask = new Float32Array(0);
      return x;
    }
    const n = batch * this.inSize;
    const mask = this.maskBuf.get(n);
    const keep = 1 / (1 - rate);
    const rng = ctx.rng;
    for (let i = 0; i < n; i++) mask[i] = rng.float() < rate ? 0 : keep;
    const y = this.y.get(n);
    for (let i = 0; i < n; i++) y[i] = x[i] * mask[i];
    this.mask = mask;
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined;
    if (this.mask.length === 0) return dy;
    const n = batch * this.inSize;
    const dx = this.dx.get(n);
    const mask = this.mask;
    for (let i = 0; i < n; i++) dx[i] = dy[i] * mask[i];
    return dx;
  }
}
