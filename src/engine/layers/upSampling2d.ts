/**
 * UpSampling2D (Keras): repeats each pixel `size` times along height and width
 * (int or [sh, sw], default 2); interpolation 'nearest' only. Backward sums each
 * block of output gradients onto its source pixel.
 */
import { enumName } from '../model/fields.ts';
import { BaseLayer } from './baseLayer.ts';
import { intPair, requireImage } from './convFields.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface UpSampling2dConfig extends LayerConfigBase {
  type: 'upSampling2d';
  size: [number, number];
  interpolation: 'nearest';
}

export const upSampling2dDef: LayerDef<UpSampling2dConfig> = {
  type: 'upSampling2d',
  fields: ['size', 'interpolation'],
  parse(raw, ctx, name) {
    const interpolation = raw.interpolation === undefined ? 'nearest'
      : enumName(raw.interpolation, ['nearest'] as const, ctx, 'interpolation', 'interpolation (only "nearest" is implemented)', (s) => (s.toLowerCase() === 'nearest' ? 'nearest' : undefined));
    return { type: 'upSampling2d', name, size: intPair(raw, 'size', ctx, [2, 2]), interpolation };
  },
  outputShape(inputShape, cfg, ctx) {
    const [h, w, c] = requireImage(inputShape, 'upSampling2d', ctx);
    return [h * cfg.size[0], w * cfg.size[1], c];
  },
  paramDecls: () => [],
  flops: () => 0,
  create: (cfg, index) => new UpSampling2d(cfg, index),
};

export class UpSampling2d extends BaseLayer<UpSampling2dConfig> {
  private readonly y = this.scratch();
  private readonly dx = this.scratch();

  constructor(cfg: UpSampling2dConfig, index: number) {
    super(upSampling2dDef, cfg, index);
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const [h, w, c] = this.inputShape;
    const [sh, sw] = this.config.size;
    const wo = w * sw;
    const y = this.y.get(batch * this.outSize);
    let o = 0;
    for (let s = 0; s < batch; s++) {
      for (let iy = 0; iy < h; iy++) {
        const rowStart = o;
        for (let ix = 0; ix < w; ix++) {
          const src = ((s * h + iy) * w + ix) * c;
          for (let r = 0; r < sw; r++) {
            for (let ch = 0; ch < c; ch++) y[o + ch] = x[src + ch];
            o += c;
          }
        }
        for (let r = 1; r < sh; r++) {
          y.copyWithin(o, rowStart, rowStart + wo * c);
          o += wo * c;
        }
      }
    }
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined;
    const [h, w, c] = this.inputShape;
    const [sh, sw] = this.config.size;
    const wo = w * sw;
    const dx = this.dx.get(batch * this.inSize);
    dx.fill(0);
    for (let s = 0; s < batch; s++) {
      for (let oy = 0; oy < h * sh; oy++) {
        const iy = Math.floor(oy / sh);
        for (let ox = 0; ox < wo; ox++) {
          const dst = ((s * h + iy) * w + Math.floor(ox / sw)) * c;
          const src = ((s * h * sh + oy) * wo + ox) * c;
          for (let ch = 0; ch < c; ch++) dx[dst + ch] += dy[src + ch];
        }
      }
    }
    return dx;
  }
}
