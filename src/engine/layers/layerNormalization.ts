/**
 * LayerNormalization (Keras `LayerNormalization`, axis -1): each sample's last axis is
 * normalised by its own mean and (biased) variance, then scaled and shifted per channel.
 * Fields and defaults (Keras): epsilon 1e-3, center true, scale true, betaInitializer
 * 'zeros', gammaInitializer 'ones'. Parameters `weight` (gamma) and `bias` (beta) [C],
 * as PyTorch's `nn.LayerNorm(C, eps=1e-3)`. Same in training and inference.
 */
import { BaseLayer } from './baseLayer.ts';
import { NORM_COMMON_FIELDS, normParamDecls, parseNormCommon, requireChannels, type NormCommonConfig } from './normFields.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface LayerNormalizationConfig extends LayerConfigBase, NormCommonConfig {
  type: 'layerNormalization';
}

export const layerNormalizationDef: LayerDef<LayerNormalizationConfig> = {
  type: 'layerNormalization',
  fields: NORM_COMMON_FIELDS,
  parse: (raw, ctx, name) => ({ type: 'layerNormalization', name, ...parseNormCommon(raw, ctx) }),
  outputShape(inputShape, _cfg, ctx) {
    requireChannels(inputShape, 'layerNormalization', ctx);
    return [...inputShape];
  },
  paramDecls: (inputShape, cfg) => normParamDecls(inputShape[inputShape.length - 1], cfg),
  flops: (inputShape) => 7 * inputShape.reduce((a, b) => a * b, 1),
  create: (cfg, index) => new LayerNormalization(cfg, index),
};

export class LayerNormalization extends BaseLayer<LayerNormalizationConfig> {
  private readonly y = this.scratch();
  private readonly xhat = this.scratch();
  private readonly dx = this.scratch();
  private invStd = new Float64Array(0);
  private xhatView: Float32Array = new Float32Array(0);

  constructor(cfg: LayerNormalizationConfig, index: number) {
    super(layerNormalizationDef, cfg, index);
  }

  private get channels(): number {
    return this.inputShape[this.inputShape.length - 1];
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const c = this.channels;
    const n = batch * this.inSize;
    const rows = n / c;
    if (this.invStd.length < rows) this.invStd = new Float64Array(rows);
    const xhat = this.xhat.get(n);
    const y = this.y.get(n);
    let p = 0;
    const gamma = this.config.scale ? this.params[p++].value : null;
    const beta = this.config.center ? this.params[p].value : null;
    const eps = this.config.epsilon;
    for (let r = 0; r < rows; r++) {
      const o = r * c;
      let s = 0;
      for (let j = 0; j < c; j++) s += x[o + j];
      const mean = s / c;
      let v = 0;
      for (let j = 0; j < c; j++) {
        const d = x[o + j] - mean;
        v += d * d;
      }
      const inv = 1 / Math.sqrt(v / c + eps);
      this.invStd[r] = inv;
      for (let j = 0; j < c; j++) {
        const h = (x[o + j] - mean) * inv;
        xhat[o + j] = h;
        y[o + j] = (gamma ? gamma[j] * h : h) + (beta ? beta[j] : 0);
      }
    }
    this.xhatView = xhat;
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    const c = this.channels;
    const n = batch * this.inSize;
    const xhat = this.xhatView;
    let p = 0;
    const gamma = this.config.scale ? this.params[p].value : null;
    if (this.config.scale) {
      const g = this.params[p++].grad;
      for (let o = 0; o < n; o += c) for (let j = 0; j < c; j++) g[j] += dy[o + j] * xhat[o + j];
    }
    if (this.config.center) {
      const g = this.params[p].grad;
      for (let o = 0; o < n; o += c) for (let j = 0; j < c; j++) g[j] += dy[o + j];
    }
    if (!needInputGrad) return undefined;
    const dx = this.dx.get(n);
    for (let o = 0, r = 0; o < n; o += c, r++) {
      // dx̂ = dy·γ; dx = invStd/C · (C·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂))
      let s = 0;
      let sx = 0;
      for (let j = 0; j < c; j++) {
        const g = dy[o + j] * (gamma ? gamma[j] : 1);
        s += g;
        sx += g * xhat[o + j];
      }
      const k = this.invStd[r] / c;
      for (let j = 0; j < c; j++) dx[o + j] = k * (c * dy[o + j] * (gamma ? gamma[j] : 1) - s - xhat[o + j] * sx);
    }
    return dx;
  }
}
