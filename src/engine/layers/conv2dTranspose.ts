/**
 * Conv2DTranspose (Keras `Conv2DTranspose`, channels-last): the adjoint of a conv2d,
 * input [h, w, inC] → [outH, outW, filters], as a GAN generator uses it to upsample.
 * Fields: filters, kernelSize, strides 1, padding 'valid' | 'same', activation, useBias,
 * initializers, regularizers (no dilation, no outputPadding). Output size as Keras
 * computes it: valid → in·s + max(k − s, 0); same → in·s. The full transposed conv has
 * (in − 1)·s + k positions; 'same' crops floor(max(k − s, 0) / 2) from the top / left
 * (the rest from the bottom / right), exactly TensorFlow's conv2d 'same' gradient.
 *
 * The weight is stored as PyTorch's `nn.ConvTranspose2d` [in, out, kh, kw] (bias [out]).
 * PyTorch equivalent: valid → ConvTranspose2d(padding=0, output_padding=max(s − k, 0));
 * same → padding=(k − s)/2 when k − s is even and >= 0, output_padding=s − k when k < s
 * (an odd k − s has no exact PyTorch module: take the padding=0 output and crop
 * floor((k − s)/2) rows/columns at the top/left, the rest at the bottom/right).
 *
 * Computed as matmul + col2im (forward) and im2col + matmul (backward):
 *   col[batch·H·W, K] = x[batch·H·W, inC] · Wt[inC, K]   K = kh·kw·F (ky, kx, f); y = col2im(col) + b
 *   dcol = im2col(dy); dx = dcol · Wtᵀ; dWt = xᵀ · dcol
 * in chunks of samples whose column matrix fits ConvLayer.maxColFloats (16 MB).
 */
import { biasActivationBackward, biasActivationForward } from './biasActivation.ts';
import { col2imRange, im2colRange, type ConvGeometry } from '../kernels/im2col.ts';
import { ACTIVATION_FLOPS, type ActivationName } from './activations.ts';
import { BaseLayer } from './baseLayer.ts';
import { intPair, paddingField, requireImage, type Padding } from './convFields.ts';
import { CONV_COMMON_FIELDS, ConvLayer, convParamDecls, parseConvCommon, type ConvCommonConfig } from './convLayer.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv, type MatmulKernelSet } from './layerEnv.ts';
import type { FieldContext } from '../model/fields.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface Conv2dTransposeConfig extends LayerConfigBase, ConvCommonConfig {
  type: 'conv2dTranspose';
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
}

function outAxis(length: number, k: number, s: number, padding: Padding): { out: number; padBefore: number } {
  if (padding === 'same') return { out: length * s, padBefore: Math.floor(Math.max(k - s, 0) / 2) };
  return { out: length * s + Math.max(k - s, 0), padBefore: 0 };
}

/** The geometry of the conv2d this layer is the adjoint of: its "image" is our output. */
function geometry(inputShape: readonly number[], cfg: Conv2dTransposeConfig, ctx: FieldContext = { path: '' }): ConvGeometry {
  const [h, w] = requireImage(inputShape, 'conv2dTranspose', ctx);
  const ah = outAxis(h, cfg.kernelSize[0], cfg.strides[0], cfg.padding);
  const aw = outAxis(w, cfg.kernelSize[1], cfg.strides[1], cfg.padding);
  return {
    h: ah.out, w: aw.out, c: cfg.filters, kh: cfg.kernelSize[0], kw: cfg.kernelSize[1], sh: cfg.strides[0], sw: cfg.strides[1],
    dh: 1, dw: 1, padTop: ah.padBefore, padLeft: aw.padBefore, outH: h, outW: w,
  };
}

export const conv2dTransposeDef: LayerDef<Conv2dTransposeConfig> = {
  type: 'conv2dTranspose',
  fields: [...CONV_COMMON_FIELDS, 'kernelSize', 'strides', 'padding'],
  parse(raw, ctx, name) {
    return {
      type: 'conv2dTranspose',
      name,
      ...parseConvCommon(raw, ctx),
      kernelSize: intPair(raw, 'kernelSize', ctx),
      strides: intPair(raw, 'strides', ctx, [1, 1]),
      padding: paddingField(raw, ctx),
    };
  },
  outputShape(inputShape, cfg, ctx) {
    const g = geometry(inputShape, cfg, ctx);
    return [g.h, g.w, cfg.filters];
  },
  paramDecls: (inputShape, cfg) => convParamDecls(cfg, [inputShape[2], cfg.filters, cfg.kernelSize[0], cfg.kernelSize[1]]),
  flops(inputShape, cfg) {
    const g = geometry(inputShape, cfg);
    const out = g.h * g.w * cfg.filters;
    return 2 * g.outH * g.outW * inputShape[2] * g.kh * g.kw * cfg.filters + (cfg.useBias ? out : 0) + ACTIVATION_FLOPS[cfg.activation] * out;
  },
  create: (cfg, index, env) => new Conv2dTranspose(cfg, index, env),
};

export class Conv2dTranspose extends BaseLayer<Conv2dTransposeConfig> {
  readonly outputActivation: ActivationName;
  private readonly kernels: MatmulKernelSet;
  private g!: ConvGeometry;
  private inC = 0;
  private wt = new Float32Array(0);
  private dwt = new Float32Array(0);
  private readonly colBuf = this.scratch();
  private readonly z = this.scratch();
  private readonly a = this.scratch();
  private readonly dz = this.scratch();
  private readonly dx = this.scratch();
  private x: Float32Array = new Float32Array(0);
  private zView: Float32Array = new Float32Array(0);
  private aView: Float32Array = new Float32Array(0);

  constructor(cfg: Conv2dTransposeConfig, index: number, env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(conv2dTransposeDef, cfg, index);
    this.outputActivation = cfg.activation;
    this.kernels = env.kernels;
  }

  get logits(): Float32Array {
    return this.zView;
  }

  protected override onAttach(): void {
    this.g = geometry(this.inputShape, this.config);
    this.inC = this.inputShape[2];
    const n = this.inC * this.g.kh * this.g.kw * this.config.filters;
    this.wt = new Float32Array(n);
    this.dwt = new Float32Array(n);
  }

  /** wt[i, ky, kx, f] = weight[i, f, ky, kx] */
  private permuteWeights(): void {
    const khw = this.g.kh * this.g.kw;
    const f = this.config.filters;
    const w = this.params[0].value;
    for (let i = 0; i < this.inC; i++) {
      const base = i * f * khw;
      for (let o = 0; o < f; o++) {
        const src = base + o * khw;
        for (let r = 0; r < khw; r++) this.wt[base + r * f + o] = w[src + r];
      }
    }
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const g = this.g;
    const k = g.kh * g.kw * g.c;
    const f = this.config.filters;
    this.permuteWeights();
    this.x = x;
    const n = batch * this.outSize;
    const z = this.z.get(n);
    z.fill(0);
    // In chunks of samples so the column matrix stays under ConvLayer.maxColFloats.
    const p = g.outH * g.outW;
    const chunk = Math.max(1, Math.min(batch, Math.floor(ConvLayer.maxColFloats / (p * k))));
    const col = this.colBuf.get(chunk * p * k);
    for (let s0 = 0; s0 < batch; s0 += chunk) {
      const cnt = Math.min(chunk, batch - s0);
      this.kernels.matmulRows(x.subarray(s0 * p * this.inC), this.wt, col, cnt * p, this.inC, k, 0, cnt * p);
      (this.kernels.col2imRange ?? col2imRange)(col, g, z.subarray(s0 * this.outSize), 0, cnt);
    }
    this.zView = z;
    this.aView = biasActivationForward(this.kernels, this.outputActivation, z, this.config.useBias ? this.params[1].value : null, n / f, f, this.a);
    return this.aView;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean, fromLogits = false): Float32Array | undefined {
    const g = this.g;
    const rows = batch * g.outH * g.outW;
    const k = g.kh * g.kw * g.c;
    const f = this.config.filters;
    const n = batch * this.outSize;
    const dz = biasActivationBackward(
      this.kernels, this.outputActivation, this.zView, this.aView, dy, this.config.useBias ? this.params[1].grad : null, n / f, f, this.dz, fromLogits,
    );
    const p = g.outH * g.outW;
    const chunk = Math.max(1, Math.min(batch, Math.floor(ConvLayer.maxColFloats / (p * k))));
    const dcol = this.colBuf.get(chunk * p * k);
    const dx = needInputGrad ? this.dx.get(rows * this.inC) : undefined;
    for (let s0 = 0; s0 < batch; s0 += chunk) {
      const cnt = Math.min(chunk, batch - s0);
      (this.kernels.im2colRange ?? im2colRange)(dz.subarray(s0 * this.outSize), g, dcol, 0, cnt);
      // dWt[inC, K] = xᵀ · dcol, added into weight.grad [in, out, kh, kw].
      this.kernels.matmulRowsTN(this.x.subarray(s0 * p * this.inC), dcol, this.dwt, this.inC, cnt * p, k, 0, this.inC);
      this.addWeightGrad();
      // dx = dcol · Wtᵀ
      if (dx) this.kernels.matmulRowsNT(dcol, this.wt, dx.subarray(s0 * p * this.inC), cnt * p, k, this.inC, 0, cnt * p);
    }
    return dx;
  }

  /** weight.grad[i, f, ky, kx] += dwt[i, ky, kx, f] */
  private addWeightGrad(): void {
    const khw = this.g.kh * this.g.kw;
    const f = this.config.filters;
    const gw = this.params[0].grad;
    for (let i = 0; i < this.inC; i++) {
      const base = i * f * khw;
      for (let o = 0; o < f; o++) {
        const dst = base + o * khw;
        for (let r = 0; r < khw; r++) gw[dst + r] += this.dwt[base + r * f + o];
      }
    }
  }
}
