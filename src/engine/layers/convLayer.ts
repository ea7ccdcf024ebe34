/**
 * The convolution shared by conv2d and conv1d (conv1d is a conv2d of height 1):
 * im2col, then one matrix multiply for the whole batch with the model's matmul
 * kernels, then bias and a fused activation.
 *
 *   col[batch·P, K]  = im2col(x)                 P = output positions, K = kh·kw·C (ky, kx, c)
 *   z[batch·P, F]    = col · Wkᵀ                  (matmulRowsNT)  = channels-last output
 *   dWk[F, K]        = dzᵀ · col                  (matmulRowsTN)
 *   dcol[batch·P, K] = dz · Wk                    (matmulRows), dx = col2im(dcol)
 *
 * The parameter keeps PyTorch's layout [F, C, kh, kw]; Wk [F, kh, kw, C] is a
 * permuted copy made each forward (F·K floats, negligible next to the matmul), so
 * im2col copies contiguous channel runs. Column, output and gradient buffers grow
 * to the largest batch seen and are then reused (no per-step allocation); the column
 * matrix is capped at ConvLayer.maxColFloats by working in chunks of samples.
 * A 1x1 kernel with stride 1 and no padding skips im2col (the input is the column matrix).
 * Bias and activation: biasActivation.ts (relu fused with the bias in one pass, in WebAssembly SIMD with the default kernels).
 */
import { biasActivationBackward, biasActivationForward } from './biasActivation.ts';
import { col2imRange, im2colRange, type ConvGeometry } from '../kernels/im2col.ts';
import { parseInitializer, type InitializerConfig } from '../init/initializers.ts';
import { parseRegularizer, type RegularizerConfig } from '../regularizers/regularizers.ts';
import { boolean, enumName, positiveInt, type FieldContext } from '../model/fields.ts';
import { ACTIVATIONS, matchActivation, type ActivationName } from './activations.ts';
import { BaseLayer, Scratch } from './baseLayer.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv, type MatmulKernelSet } from './layerEnv.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext, ParamDecl } from './types.ts';

/** Fields every convolution has (Keras names and defaults). */
export interface ConvCommonConfig {
  filters: number;
  activation: ActivationName;
  useBias: boolean;
  kernelInitializer: InitializerConfig;
  biasInitializer: InitializerConfig;
  kernelRegularizer?: RegularizerConfig;
  biasRegularizer?: RegularizerConfig;
}

export const CONV_COMMON_FIELDS = ['filters', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer'] as const;

export function parseConvCommon(raw: Record<string, unknown>, ctx: FieldContext): ConvCommonConfig {
  const cfg: ConvCommonConfig = {
    filters: positiveInt(raw, 'filters', ctx),
    activation: raw.activation === undefined || raw.activation === null
      ? 'linear'
      : enumName(raw.activation, ACTIVATIONS, ctx, 'activation', 'activation', matchActivation),
    useBias: boolean(raw, 'useBias', ctx, true),
    kernelInitializer: raw.kernelInitializer === undefined ? { type: 'glorotUniform' } : parseInitializer(raw.kernelInitializer, ctx, 'kernelInitializer'),
    biasInitializer: raw.biasInitializer === undefined ? { type: 'zeros' } : parseInitializer(raw.biasInitializer, ctx, 'biasInitializer'),
  };
  if (raw.kernelRegularizer !== undefined && raw.kernelRegularizer !== null) cfg.kernelRegularizer = parseRegularizer(raw.kernelRegularizer, ctx, 'kernelRegularizer');
  if (raw.biasRegularizer !== undefined && raw.biasRegularizer !== null) cfg.biasRegularizer = parseRegularizer(raw.biasRegularizer, ctx, 'biasRegularizer');
  return cfg;
}

/** weight (PyTorch layout `weightShape`) and bias [filters]. */
export function convParamDecls(cfg: ConvCommonConfig, weightShape: number[]): ParamDecl[] {
  const decls: ParamDecl[] = [
    { name: 'weight', shape: weightShape, initializer: cfg.kernelInitializer, regularizer: cfg.kernelRegularizer, decay: true },
  ];
  if (cfg.useBias) decls.push({ name: 'bias', shape: [cfg.filters], initializer: cfg.biasInitializer, regularizer: cfg.biasRegularizer, decay: false });
  return decls;
}

export type ConvLayerConfig = LayerConfigBase & ConvCommonConfig;


export class ConvLayer<C extends ConvLayerConfig> extends BaseLayer<C> {
  /**
   * Largest column matrix a conv layer keeps (floats; 4M = 16 MB). A batch whose im2col
   * would be bigger is processed in chunks of samples, and backward recomputes each
   * chunk's columns, so the workspace stays bounded whatever the image size.
   */
  static maxColFloats = 1 << 22;
  readonly outputActivation: ActivationName;
  private readonly kernels: MatmulKernelSet;
  private g!: ConvGeometry;
  private identityCol = false;
  private wk: Float32Array = new Float32Array(0);
  private dwk: Float32Array = new Float32Array(0);
  private readonly colBuf: Scratch;
  private readonly z: Scratch;
  private readonly a: Scratch;
  private readonly dz: Scratch;
  private readonly dcol: Scratch;
  private readonly dx: Scratch;
  private readonly env: LayerEnv;
  private x: Float32Array = new Float32Array(0);
  /** True when colBuf holds the column matrix of the whole last forward batch. */
  private colValid = false;
  private zView: Float32Array = new Float32Array(0);
  private aView: Float32Array = new Float32Array(0);

  constructor(def: LayerDef<C>, cfg: C, index: number, private readonly geometry: (inputShape: readonly number[], cfg: C) => ConvGeometry, env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(def, cfg, index);
    this.outputActivation = cfg.activation;
    this.kernels = env.kernels;
    this.env = env;
    // In the model's memory (when it has one), so the matmul kernels use them in place.
    [this.colBuf, this.z, this.a, this.dz, this.dcol, this.dx] = [0, 1, 2, 3, 4, 5].map(() => new Scratch(env));
  }

  get logits(): Float32Array {
    return this.zView;
  }

  protected override onAttach(): void {
    const g = this.geometry(this.inputShape, this.config);
    this.g = g;
    const k = g.kh * g.kw * g.c;
    const alloc = this.env.allocate ?? ((n: number) => new Float32Array(n));
    this.wk = alloc(this.config.filters * k);
    this.dwk = alloc(this.config.filters * k);
    this.identityCol = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.padTop === 0 && g.padLeft === 0 && g.outH === g.h && g.outW === g.w;
  }

  /** wk[f, ky, kx, c] = weight[f, c, ky, kx] */
  private permuteWeights(): void {
    const { kh, kw, c } = this.g;
    const w = this.params[0].value;
    const wk = this.wk;
    const khw = kh * kw;
    const f = this.config.filters;
    for (let o = 0; o < f; o++) {
      const base = o * c * khw;
      for (let ch = 0; ch < c; ch++) {
        const src = base + ch * khw;
        for (let r = 0; r < khw; r++) wk[base + r * c + ch] = w[src + r];
      }
    }
  }

  /** Samples per im2col chunk: the whole batch unless its column matrix would exceed maxColFloats. */
  private chunkSamples(batch: number): number {
    const perSample = this.g.outH * this.g.outW * this.g.kh * this.g.kw * this.g.c;
    return Math.max(1, Math.min(batch, Math.floor(ConvLayer.maxColFloats / perSample)));
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const g = this.g;
    const p = g.outH * g.outW;
    const rows = batch * p;
    const k = g.kh * g.kw * g.c;
    const f = this.config.filters;
    this.permuteWeights();
    this.x = x;
    const z = this.z.get(rows * f);
    if (this.identityCol) {
      this.kernels.matmulRowsNT(x, this.wk, z, rows, k, f, 0, rows);
    } else {
      const chunk = this.chunkSamples(batch);
      const col = this.colBuf.get(chunk * p * k);
      for (let s0 = 0; s0 < batch; s0 += chunk) {
        const n = Math.min(chunk, batch - s0);
        (this.kernels.im2colRange ?? im2colRange)(x.subarray(s0 * this.inSize), g, col, 0, n);
        const zc = s0 === 0 && n === batch ? z : z.subarray(s0 * p * f, (s0 + n) * p * f);
        this.kernels.matmulRowsNT(col, this.wk, zc, n * p, k, f, 0, n * p);
      }
      // With one chunk the column matrix is still that of the whole batch: backward reuses it.
      this.colValid = chunk === batch;
    }
    this.zView = z;
    this.aView = biasActivationForward(this.kernels, this.outputActivation, z, this.config.useBias ? this.params[1].value : null, rows, f, this.a);
    return this.aView;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean, fromLogits = false): Float32Array | undefined {
    const g = this.g;
    const p = g.outH * g.outW;
    const rows = batch * p;
    const k = g.kh * g.kw * g.c;
    const f = this.config.filters;
    const biasGrad = this.config.useBias ? this.params[1].grad : null;
    const dz = biasActivationBackward(this.kernels, this.outputActivation, this.zView, this.aView, dy, biasGrad, rows, f, this.dz, fromLogits);
    let dx: Float32Array | undefined;
    if (needInputGrad && !this.identityCol) {
      dx = this.dx.get(batch * this.inSize);
      dx.fill(0);
    }
    const chunk = this.identityCol ? batch : this.chunkSamples(batch);
    for (let s0 = 0; s0 < batch; s0 += chunk) {
      const n = Math.min(chunk, batch - s0);
      const dzc = dz.subarray(s0 * p * f, (s0 + n) * p * f);
      let col = this.x;
      if (!this.identityCol) {
        col = this.colBuf.get(chunk * p * k);
        if (!this.colValid) (this.kernels.im2colRange ?? im2colRange)(this.x.subarray(s0 * this.inSize), g, col, 0, n);
      }
      // dWk[f, k] = dzᵀ · col, added into weight.grad in PyTorch layout. With fewer kernel
      // taps than filters (e.g. a first layer on one channel: k = 9) the transposed product
      // colᵀ · dz = dWkᵀ [k, f] packs far better (measured 2x on 3x3x1 -> 16).
      const transposed = k < f;
      if (transposed) this.kernels.matmulRowsTN(col, dzc, this.dwk, k, n * p, f, 0, k);
      else this.kernels.matmulRowsTN(dzc, col, this.dwk, f, n * p, k, 0, f);
      this.addWeightGrad(transposed);
      if (!needInputGrad) continue;
      // dcol = dz · Wk; dx = col2im(dcol)
      const dcol = this.dcol.get((this.identityCol ? batch : chunk) * p * k);
      this.kernels.matmulRows(dzc, this.wk, dcol, n * p, f, k, 0, n * p);
      if (this.identityCol) return dcol;
      (this.kernels.col2imRange ?? col2imRange)(dcol, g, (dx as Float32Array).subarray(s0 * this.inSize), 0, n);
    }
    return dx;
  }

  /** weight.grad[f, c, ky, kx] += dwk[f, ky, kx, c] (or dwk[(ky, kx, c), f] when `transposed`). */
  private addWeightGrad(transposed: boolean): void {
    const gw = this.params[0].grad;
    const dwk = this.dwk;
    const c = this.g.c;
    const khw = this.g.kh * this.g.kw;
    const f = this.config.filters;
    for (let o = 0; o < f; o++) {
      const base = o * c * khw;
      for (let ch = 0; ch < c; ch++) {
        const dst = base + ch * khw;
        if (transposed) for (let r = 0; r < khw; r++) gw[dst + r] += dwk[(r * c + ch) * f + o];
        else for (let r = 0; r < khw; r++) gw[dst + r] += dwk[base + r * c + ch];
      }
    }
  }
}

/** Forward FLOPs per sample of a convolution: 2·P·K·F (+ bias + activation). */
export function convFlops(positions: number, k: number, cfg: ConvCommonConfig, actFlops: number): number {
  return 2 * positions * k * cfg.filters + (cfg.useBias ? positions * cfg.filters : 0) + actFlops * positions * cfg.filters;
}
