/**
 * BatchNormalization (Keras `BatchNormalization`, axis -1 = channels-last):
 * statistics per channel over the batch and every other axis.
 *
 * Fields and defaults (Keras): momentum 0.99, epsilon 1e-3, center true, scale true,
 * betaInitializer 'zeros', gammaInitializer 'ones', movingMeanInitializer 'zeros',
 * movingVarianceInitializer 'ones'.
 *
 * - Training (fit): normalises with the batch mean and the BIASED batch variance
 *   (divide by N), and updates the moving statistics as Keras does, also with the
 *   biased variance: moving = moving·momentum + batch·(1 − momentum).
 * - Inference (evaluate, predict): normalises with the moving statistics.
 *
 * Checkpoint names follow PyTorch's `nn.BatchNorm1d/2d` state_dict: `weight` (gamma),
 * `bias` (beta) — trainable — and the buffers `running_mean`, `running_var`,
 * `num_batches_tracked` (non-trainable, saved in weights and checkpoints). PyTorch
 * stores num_batches_tracked as an int64 scalar; we save it as an F32 scalar (shape [])
 * counting training batches: `load_state_dict(strict=True)` accepts it (it checks names
 * and shapes and copies the value into the int64 buffer). Differences from PyTorch to
 * know when moving a model across: PyTorch momentum = 1 − Keras momentum (0.01 here),
 * PyTorch's running_var is updated with the UNBIASED batch variance, and its default
 * eps is 1e-5. Inference outputs agree once the buffers and eps are loaded.
 *
 * Data-parallel training computes batch statistics per thread slice (as unsynchronised
 * multi-GPU batch norm does); the moving statistics must then be updated by one thread.
 */
import { parseInitializer, type InitializerConfig } from '../init/initializers.ts';
import { finiteNumber } from '../model/fields.ts';
import { BaseLayer } from './baseLayer.ts';
import { NORM_COMMON_FIELDS, normParamDecls, parseNormCommon, requireChannels, type NormCommonConfig } from './normFields.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface BatchNormalizationConfig extends LayerConfigBase, NormCommonConfig {
  type: 'batchNormalization';
  momentum: number;
  movingMeanInitializer: InitializerConfig;
  movingVarianceInitializer: InitializerConfig;
}

export const batchNormalizationDef: LayerDef<BatchNormalizationConfig> = {
  type: 'batchNormalization',
  fields: [...NORM_COMMON_FIELDS, 'momentum', 'movingMeanInitializer', 'movingVarianceInitializer'],
  parse(raw, ctx, name) {
    return {
      type: 'batchNormalization',
      name,
      ...parseNormCommon(raw, ctx),
      momentum: finiteNumber(raw, 'momentum', ctx, 0.99, { min: 0, max: 1 }),
      movingMeanInitializer: raw.movingMeanInitializer === undefined ? { type: 'zeros' } : parseInitializer(raw.movingMeanInitializer, ctx, 'movingMeanInitializer'),
      movingVarianceInitializer: raw.movingVarianceInitializer === undefined ? { type: 'ones' } : parseInitializer(raw.movingVarianceInitializer, ctx, 'movingVarianceInitializer'),
    };
  },
  outputShape(inputShape, _cfg, ctx) {
    requireChannels(inputShape, 'batchNormalization', ctx);
    return [...inputShape];
  },
  paramDecls: (inputShape, cfg) => normParamDecls(inputShape[inputShape.length - 1], cfg),
  bufferDecls(inputShape, cfg) {
    const c = inputShape[inputShape.length - 1];
    return [
      { name: 'running_mean', shape: [c], initializer: cfg.movingMeanInitializer },
      { name: 'running_var', shape: [c], initializer: cfg.movingVarianceInitializer },
      { name: 'num_batches_tracked', shape: [], initializer: { type: 'zeros' } },
    ];
  },
  flops: (inputShape) => 4 * inputShape.reduce((a, b) => a * b, 1),
  create: (cfg, index) => new BatchNormalization(cfg, index),
};

export class BatchNormalization extends BaseLayer<BatchNormalizationConfig> {
  private readonly y = this.scratch();
  private readonly xhat = this.scratch();
  private readonly dx = this.scratch();
  private c = 0;
  private mean = new Float64Array(0);
  private invStd = new Float64Array(0);
  private sum1 = new Float64Array(0);
  private sum2 = new Float64Array(0);
  private lastTraining = false;
  private xhatView: Float32Array = new Float32Array(0);

  constructor(cfg: BatchNormalizationConfig, index: number) {
    super(batchNormalizationDef, cfg, index);
  }

  protected override onAttach(): void {
    this.c = this.inputShape[this.inputShape.length - 1];
    this.mean = new Float64Array(this.c);
    this.invStd = new Float64Array(this.c);
    this.sum1 = new Float64Array(this.c);
    this.sum2 = new Float64Array(this.c);
  }

  private gammaBeta(): { gamma: Float32Array | null; beta: Float32Array | null } {
    let i = 0;
    const gamma = this.config.scale ? this.params[i++].value : null;
    const beta = this.config.center ? this.params[i].value : null;
    return { gamma, beta };
  }

  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array {
    const c = this.c;
    const n = batch * this.inSize;
    const rows = n / c;
    const { mean, invStd } = this;
    const eps = this.config.epsilon;
    this.lastTraining = ctx.training;
    if (ctx.training) {
      const s1 = this.sum1.fill(0);
      for (let o = 0; o < n; o += c) for (let j = 0; j < c; j++) s1[j] += x[o + j];
      for (let j = 0; j < c; j++) mean[j] = s1[j] / rows;
      const s2 = this.sum2.fill(0);
      for (let o = 0; o < n; o += c) {
        for (let j = 0; j < c; j++) {
          const d = x[o + j] - mean[j];
          s2[j] += d * d;
        }
      }
      const [runMean, runVar, count] = this.buffers;
      const m = this.config.momentum;
      for (let j = 0; j < c; j++) {
        const v = s2[j] / rows;
        invStd[j] = 1 / Math.sqrt(v + eps);
        runMean.value[j] = runMean.value[j] * m + mean[j] * (1 - m);
        runVar.value[j] = runVar.value[j] * m + v * (1 - m);
      }
      count.value[0] += 1;
    } else {
      const [runMean, runVar] = this.buffers;
      for (let j = 0; j < c; j++) {
        mean[j] = runMean.value[j];
        invStd[j] = 1 / Math.sqrt(runVar.value[j] + eps);
      }
    }
    const xhat = this.xhat.get(n);
    const y = this.y.get(n);
    const { gamma, beta } = this.gammaBeta();
    for (let o = 0; o < n; o += c) {
      for (let j = 0; j < c; j++) {
        const h = (x[o + j] - mean[j]) * invStd[j];
        xhat[o + j] = h;
        y[o + j] = (gamma ? gamma[j] * h : h) + (beta ? beta[j] : 0);
      }
    }
    this.xhatView = xhat;
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    const c = this.c;
    const n = batch * this.inSize;
    const rows = n / c;
    const xhat = this.xhatView;
    const sumDy = this.sum1.fill(0);
    const sumDyX = this.sum2.fill(0);
    for (let o = 0; o < n; o += c) {
      for (let j = 0; j < c; j++) {
        sumDy[j] += dy[o + j];
        sumDyX[j] += dy[o + j] * xhat[o + j];
      }
    }
    let p = 0;
    const gamma = this.config.scale ? this.params[0].value : null;
    if (this.config.scale) {
      const g = this.params[p++].grad;
      for (let j = 0; j < c; j++) g[j] += sumDyX[j];
    }
    if (this.config.center) {
      const g = this.params[p].grad;
      for (let j = 0; j < c; j++) g[j] += sumDy[j];
    }
    if (!needInputGrad) return undefined;
    const dx = this.dx.get(n);
    const invStd = this.invStd;
    if (!this.lastTraining) {
      for (let o = 0; o < n; o += c) for (let j = 0; j < c; j++) dx[o + j] = dy[o + j] * (gamma ? gamma[j] : 1) * invStd[j];
      return dx;
    }
    // dx = γ·invStd/N · (N·dy − Σdy − x̂·Σ(dy·x̂))
    for (let o = 0; o < n; o += c) {
      for (let j = 0; j < c; j++) {
        const k = (gamma ? gamma[j] : 1) * invStd[j] / rows;
        dx[o + j] = k * (rows * dy[o + j] - sumDy[j] - xhat[o + j] * sumDyX[j]);
      }
    }
    return dx;
  }
}
