/**
 * Conv1D (Keras `Conv1D`, channels-last): input [steps, channels] →
 * [outSteps, filters]. Fields and defaults: filters, kernelSize, strides 1,
 * padding 'valid' | 'same' | 'causal' (left padding only, as Keras), dilationRate 1,
 * activation, useBias, initializers and regularizers as conv2d. The weight is
 * stored as PyTorch's `nn.Conv1d` [out, in, k] (bias [out]). Runs as a conv2d of
 * height 1 (same im2col + matmul, see convLayer.ts).
 */
import { describeShape } from '../model/describe.ts';
import { fail, type FieldContext } from '../model/fields.ts';
import { ACTIVATION_FLOPS } from './activations.ts';
import { axisGeometry, intSingle, paddingField, type AxisGeometry, type Padding } from './convFields.ts';
import { CONV_COMMON_FIELDS, ConvLayer, convFlops, convParamDecls, parseConvCommon, type ConvCommonConfig } from './convLayer.ts';
import type { ConvGeometry } from '../kernels/im2col.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';

export interface Conv1dConfig extends LayerConfigBase, ConvCommonConfig {
  type: 'conv1d';
  kernelSize: number;
  strides: number;
  padding: Padding;
  dilationRate: number;
}

function axis(inputShape: readonly number[], cfg: Conv1dConfig, ctx: FieldContext): AxisGeometry {
  if (inputShape.length !== 2) {
    const hint = inputShape.length === 1 ? `; add { "type": "reshape", "targetShape": [${inputShape[0]}, 1] } before it` : '';
    fail(ctx, undefined, `(conv1d): expects input of rank 2 [steps, channels] but gets shape ${describeShape(inputShape)}${hint}`);
  }
  const g = axisGeometry(inputShape[0], cfg.kernelSize, cfg.strides, cfg.dilationRate, cfg.padding);
  if (!g) fail(ctx, 'kernelSize', `${cfg.kernelSize} (dilationRate ${cfg.dilationRate}) is longer than the input ${describeShape(inputShape)} with padding "valid"; use a smaller kernelSize or padding "same"`);
  return g;
}

function geometry(inputShape: readonly number[], cfg: Conv1dConfig): ConvGeometry {
  const g = axis(inputShape, cfg, { path: '' });
  return {
    h: 1, w: inputShape[0], c: inputShape[1], kh: 1, kw: cfg.kernelSize, sh: 1, sw: cfg.strides,
    dh: 1, dw: cfg.dilationRate, padTop: 0, padLeft: g.padBefore, outH: 1, outW: g.out,
  };
}

export const conv1dDef: LayerDef<Conv1dConfig> = {
  type: 'conv1d',
  fields: [...CONV_COMMON_FIELDS, 'kernelSize', 'strides', 'padding', 'dilationRate'],
  parse(raw, ctx, name) {
    return {
      type: 'conv1d',
      name,
      ...parseConvCommon(raw, ctx),
      kernelSize: intSingle(raw, 'kernelSize', ctx),
      strides: intSingle(raw, 'strides', ctx, 1),
      padding: paddingField(raw, ctx, ['valid', 'same', 'causal']),
      dilationRate: intSingle(raw, 'dilationRate', ctx, 1),
    };
  },
  outputShape: (inputShape, cfg, ctx) => [axis(inputShape, cfg, ctx).out, cfg.filters],
  paramDecls: (inputShape, cfg) => convParamDecls(cfg, [cfg.filters, inputShape[1], cfg.kernelSize]),
  flops(inputShape, cfg) {
    const g = geometry(inputShape, cfg);
    return convFlops(g.outW, g.kw * g.c, cfg, ACTIVATION_FLOPS[cfg.activation]);
  },
  create: (cfg, index, env) => new ConvLayer(conv1dDef, cfg, index, geometry, env),
};
