/**
 * Conv2D (Keras `Conv2D`, channels-last): input [height, width, channels] →
 * [outH, outW, filters]. Fields and defaults: filters, kernelSize (int or
 * [kh, kw]), strides 1, padding 'valid' | 'same' (TensorFlow's: the odd extra
 * pad at the bottom / right), dilationRate 1, activation 'linear', useBias true,
 * kernelInitializer 'glorotUniform', biasInitializer 'zeros', kernelRegularizer,
 * biasRegularizer (strides > 1 with dilationRate > 1 is allowed, as in PyTorch; Keras
 * rejects it). The weight is stored as PyTorch's `nn.Conv2d` [out, in, kh, kw]
 * (bias [out]). Computed by im2col + matmul (see convLayer.ts).
 */
import { ACTIVATION_FLOPS } from './activations.ts';
import { imageAxes, intPair, paddingField, type Padding } from './convFields.ts';
import { CONV_COMMON_FIELDS, ConvLayer, convFlops, convParamDecls, parseConvCommon, type ConvCommonConfig } from './convLayer.ts';
import type { ConvGeometry } from '../kernels/im2col.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';

export interface Conv2dConfig extends LayerConfigBase, ConvCommonConfig {
  type: 'conv2d';
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
  dilationRate: [number, number];
}

function geometry(inputShape: readonly number[], cfg: Conv2dConfig): ConvGeometry {
  const ctx = { path: '' };
  const [gh, gw] = imageAxes(inputShape, cfg.kernelSize, cfg.strides, cfg.dilationRate, cfg.padding, 'conv2d', ctx);
  return {
    h: inputShape[0], w: inputShape[1], c: inputShape[2],
    kh: cfg.kernelSize[0], kw: cfg.kernelSize[1], sh: cfg.strides[0], sw: cfg.strides[1],
    dh: cfg.dilationRate[0], dw: cfg.dilationRate[1], padTop: gh.padBefore, padLeft: gw.padBefore, outH: gh.out, outW: gw.out,
  };
}

export const conv2dDef: LayerDef<Conv2dConfig> = {
  type: 'conv2d',
  fields: [...CONV_COMMON_FIELDS, 'kernelSize', 'strides', 'padding', 'dilationRate'],
  parse(raw, ctx, name) {
    return {
      type: 'conv2d',
      name,
      ...parseConvCommon(raw, ctx),
      kernelSize: intPair(raw, 'kernelSize', ctx),
      strides: intPair(raw, 'strides', ctx, [1, 1]),
      padding: paddingField(raw, ctx),
      dilationRate: intPair(raw, 'dilationRate', ctx, [1, 1]),
    };
  },
  outputShape(inputShape, cfg, ctx) {
    const [gh, gw] = imageAxes(inputShape, cfg.kernelSize, cfg.strides, cfg.dilationRate, cfg.padding, 'conv2d', ctx);
    return [gh.out, gw.out, cfg.filters];
  },
  paramDecls: (inputShape, cfg) => convParamDecls(cfg, [cfg.filters, inputShape[2], cfg.kernelSize[0], cfg.kernelSize[1]]),
  flops(inputShape, cfg) {
    const g = geometry(inputShape, cfg);
    return convFlops(g.outH * g.outW, g.kh * g.kw * g.c, cfg, ACTIVATION_FLOPS[cfg.activation]);
  },
  create: (cfg, index, env) => new ConvLayer(conv2dDef, cfg, index, geometry, env),
};
