/**
 * GlobalAveragePooling2D / GlobalMaxPooling2D (Keras): [h, w, c] → [c] (or
 * [1, 1, c] with `keepdims`), the mean or the max of each channel over all pixels.
 */
import { boolean } from '../model/fields.ts';
import { BaseLayer } from './baseLayer.ts';
import { requireImage } from './convFields.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface GlobalPooling2dConfig extends LayerConfigBase {
  type: 'globalAveragePooling2d' | 'globalMaxPooling2d';
  keepdims: boolean;
}

function globalPoolDef<T extends GlobalPooling2dConfig['type']>(type: T): LayerDef<GlobalPooling2dConfig & { type: T }> {
  const def: LayerDef<GlobalPooling2dConfig & { type: T }> = {
    type,
    fields: ['keepdims'],
    parse: (raw, ctx, name) => ({ type, name, keepdims: boolean(raw, 'keepdims', ctx, false) }),
    outputShape(inputShape, cfg, ctx) {
      const c = requireImage(inputShape, type, ctx)[2];
      return cfg.keepdims ? [1, 1, c] : [c];
    },
    paramDecls: () => [],
    flops: (inputShape) => inputShape[0] * inputShape[1] * inputShape[2],
    create: (cfg, index) => new GlobalPooling2d(def as unknown as LayerDef<GlobalPooling2dConfig>, cfg, index),
  };
  return def;
}

export type GlobalAveragePooling2dConfig = GlobalPooling2dConfig & { type: 'globalAveragePooling2d' };
export type GlobalMaxPooling2dConfig = GlobalPooling2dConfig & { type: 'globalMaxPooling2d' };
export const globalAveragePooling2dDef = globalPoolDef('globalAveragePooling2d');
export const globalMaxPooling2dDef = globalPoolDef('globalMaxPooling2d');

export class GlobalPooling2d extends BaseLayer<GlobalPooling2dConfig> {
  private readonly y = this.scratch();
  private readonly dx = this.scratch();
  private argmax = new Int32Array(0);

  constructor(def: LayerDef<GlobalPooling2dConfig>, cfg: GlobalPooling2dConfig, index: number) {
    super(def, cfg, index);
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const c = this.inputShape[2];
    const hw = this.inputShape[0] * this.inputShape[1];
    const y = this.y.get(batch * c);
    const isMax = this.config.type === 'globalMaxPooling2d';
    if (isMax && this.argmax.length < batch * c) this.argmax = new Int32Array(batch * c);
    for (let s = 0; s < batch; s++) {
      const base = s * hw * c;
      const o = s * c;
      for (let ch = 0; ch < c; ch++) {
        y[o + ch] = x[base + ch];
        if (isMax) this.argmax[o + ch] = base + ch;
      }
      for (let p = 1; p < hw; p++) {
        const src = base + p * c;
        if (isMax) {
          for (let ch = 0; ch < c; ch++) {
            if (x[src + ch] > y[o + ch]) {
              y[o + ch] = x[src + ch];
              this.argmax[o + ch] = src + ch;
            }
          }
        } else {
          for (let ch = 0; ch < c; ch++) y[o + ch] += x[src + ch];
        }
      }
      if (!isMax) for (let ch = 0; ch < c; ch++) y[o + ch] /= hw;
    }
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined;
    const c = this.inputShape[2];
    const hw = this.inputShape[0] * this.inputShape[1];
    const dx = this.dx.get(batch * hw * c);
    if (this.config.type === 'globalMaxPooling2d') {
      dx.fill(0);
      for (let i = 0; i < batch * c; i++) dx[this.argmax[i]] += dy[i];
      return dx;
    }
    const inv = 1 / hw;
    for (let s = 0; s < batch; s++) {
      for (let p = 0; p < hw; p++) {
        const d = (s * hw + p) * c;
        for (let ch = 0; ch < c; ch++) dx[d + ch] = dy[s * c + ch] * inv;
      }
    }
    return dx;
  }
}
