/**
 * Embedding (Keras Embedding; PyTorch nn.Embedding(inputDim, outputDim)): looks up row
 * `index` of weight [inputDim, outputDim] for every input value. Inputs are integer
 * indices stored as floats, any per-sample shape (usually [timesteps]); the output shape
 * is the input shape + [outputDim]. Keras fields and defaults: inputDim, outputDim,
 * embeddingsInitializer randomUniform(-0.05, 0.05), embeddingsRegularizer. A value that
 * is not an integer in [0, inputDim) is a DataShapeError naming the value and the layer.
 * Backward scatter-adds dy into the rows that were looked up; the indices have no
 * gradient (dx is zeros).
 */
import { DataShapeError } from '../errors.ts';
import { parseInitializer, type InitializerConfig } from '../init/initializers.ts';
import { parseRegularizer, type RegularizerConfig } from '../regularizers/regularizers.ts';
import { positiveInt } from '../model/fields.ts';
import { BaseLayer, Scratch } from './baseLayer.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface EmbeddingConfig extends LayerConfigBase {
  type: 'embedding';
  inputDim: number;
  outputDim: number;
  embeddingsInitializer: InitializerConfig;
  embeddingsRegularizer?: RegularizerConfig;
}

export const embeddingDef: LayerDef<EmbeddingConfig> = {
  type: 'embedding',
  fields: ['inputDim', 'outputDim', 'embeddingsInitializer', 'embeddingsRegularizer'],
  parse(raw, ctx, name) {
    const cfg: EmbeddingConfig = {
      type: 'embedding',
      name,
      inputDim: positiveInt(raw, 'inputDim', ctx),
      outputDim: positiveInt(raw, 'outputDim', ctx),
      embeddingsInitializer: raw.embeddingsInitializer === undefined
        ? { type: 'randomUniform', minval: -0.05, maxval: 0.05 }
        : parseInitializer(raw.embeddingsInitializer, ctx, 'embeddingsInitializer'),
    };
    if (raw.embeddingsRegularizer !== undefined && raw.embeddingsRegularizer !== null) {
      cfg.embeddingsRegularizer = parseRegularizer(raw.embeddingsRegularizer, ctx, 'embeddingsRegularizer');
    }
    return cfg;
  },
  outputShape: (inputShape, cfg) => [...inputShape, cfg.outputDim],
  paramDecls: (_inputShape, cfg) => [
    { name: 'weight', shape: [cfg.inputDim, cfg.outputDim], initializer: cfg.embeddingsInitializer, regularizer: cfg.embeddingsRegularizer, decay: true },
  ],
  flops: () => 0,
  create: (cfg, index) => new Embedding(cfg, index),
};

export class Embedding extends BaseLayer<EmbeddingConfig> {
  private readonly out = new Scratch();
  private readonly dx = new Scratch();
  /** The indices of the last forward, for backward's scatter-add. */
  private idx = new Int32Array(0);

  constructor(cfg: EmbeddingConfig, index: number) {
    super(embeddingDef, cfg, index);
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const n = batch * this.inSize;
    const d = this.config.outputDim;
    const dim = this.config.inputDim;
    if (this.idx.length < n) this.idx = new Int32Array(n);
    const idx = this.idx;
    const w = this.params[0].value;
    const out = this.out.get(n * d);
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (!(v >= 0 && v < dim && Number.isInteger(v))) {
        throw new DataShapeError(`layers[${this.index}] (embedding): input value ${v} (sample ${Math.floor(i / this.inSize)}, position ${i % this.inSize}) is not an integer index in [0, ${dim}) (inputDim ${dim})`);
      }
      idx[i] = v;
      out.set(w.subarray(v * d, (v + 1) * d), i * d);
    }
    return out;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    const n = batch * this.inSize;
    const d = this.config.outputDim;
    const g = this.params[0].grad;
    const idx = this.idx;
    for (let i = 0; i < n; i++) {
      const o = idx[i] * d;
      const s = i * d;
      for (let k = 0; k < d; k++) g[o + k] += dy[s + k];
    }
    return needInputGrad ? this.dx.get(n).fill(0) : undefined;
  }
}
