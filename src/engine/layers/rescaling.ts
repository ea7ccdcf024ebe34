/** Rescaling: y = x * scale + offset (Keras `Rescaling`, e.g. scale 1/255 for pixels). No parameters. */
import { scaleShiftRange, type ScaleShiftKernel } from '../kernels/scaleShift.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv } from './layerEnv.ts';
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
  create: (cfg, index, env) => new Rescaling(cfg, index, env),
};

export class Rescaling extends BaseLayer<RescalingConfig> {
  readonly rowwise = true;
  private readonly y = this.scratch();
  private readonly dx = this.scratch();
  private readonly scaleShift: ScaleShiftKernel;
  constructor(cfg: RescalingConfig, index: number, env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(rescalingDef, cfg, index);
    this.scaleShift = env.kernels.scaleShift ?? scaleShiftRange;
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const n = batch * this.inSize;
    const y = this.y.get(n);
    this.scaleShift(x, y, n, this.config.scale, this.config.offset);
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined;
    const n = batch * this.inSize;
    const dx = this.dx.get(n);
    const scale = Math.fround(this.config.scale); // float32, as the forward
    for (let i = 0; i < n; i++) dx[i] = dy[i] * scale;
    return dx;
  }
}
