/** Rescaling: y = x * scale + offset (Keras `Rescaling`, e.g. scale 1/255 for pixels). No parameters. */
import { finiteNumber } from '../model/fields.ts';
import { BaseLayer } from './baseLayer.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';
import { sizeOfShape } from './baseLayer.ts';

export interface RescalingConfig extends LayerConfigBase {
  type: 'rescaling';
  scale: number;
  offset: number;
}

export const rescalingDef: LayerDef<RescalingConfig> = {
  type: 'rescaling',
  fields: ['scale', 'offset'],
  parse(raw, ctx, name) {
    return { type: 'rescaling', name, scale: finiteNumber(raw, 'scale', ctx), offset: finiteNumber(raw, 'offset', ctx, 0) };
  },
  outputShape: (inputShape) => [...inputShape],
  paramDecls: () => [],
  flops: (inputShape) => 2 * sizeOfShape(inputShape),
  create: (cfg, index) => new Rescaling(cfg, index),
};

export class Rescaling extends BaseLayer<RescalingConfig> {
  private readonly y = this.scratch();
  private readonly dx = this.scratch();
  constructor(cfg: RescalingConfig, index: number) {
    super(rescalingDef, cfg, index);
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const n = batch * this.inSize;
    const y = this.y.get(n);
    const { scale, offset } = this.config;
    for (let i = 0; i < n; i++) y[i] = x[i] * scale + offset;
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined;
    const n = batch * this.inSize;
    const dx = this.dx.get(n);
    const { scale } = this.config;
    for (let i = 0; i < n; i++) dx[i] = dy[i] * scale;
    return dx;
  }
}
