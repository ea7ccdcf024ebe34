/**
 * Predictions with a checkpoint's weights: the model is built from the job's
 * spec (`Sequential.fromSpec`), the checkpoint's weights are loaded into it, and
 * the engine runs the forward pass. Built models are kept in a small LRU keyed
 * by checkpoint id (a checkpoint never changes), so repeated predictions reuse them.
 *
 * Classes: for a categorical or sparse categorical cross-entropy, the argmax of
 * the last axis; for a binary cross-entropy, output >= 0.5 (per output value, or
 * per sample when the last axis has one value). Other losses have no classes.
 */
import { matchLoss, Sequential } from '../../engine/index.ts';
import { Lru } from './lru.ts';
import { toJsonNumber, type JsonNumber } from './json-number.ts';
import type { PredictionInputs } from './prediction-inputs.ts';

export type Nested<T> = T | Nested<T>[];

export interface PredictionResult {
  outputs: Nested<JsonNumber>[] | Nested<JsonNumber>;
  classes?: Nested<number>[] | Nested<number>;
}

/** Models cached: at most this many, and at most this many parameters in all. */
const MAX_MODELS = 8;
const MAX_CACHED_PARAMS = 64_000_000;
/**
 * The forward pass runs on the API's event loop: one request may ask for at most this
 * many floating-point operations (a few seconds of work), else it is refused.
 */
export const MAX_PREDICT_FLOPS = 10_000_000_000;

export interface BuiltModel {
  model: Sequential;
  flopsPerSample: number;
}

export class ModelCache {
  private readonly models = new Lru<string, BuiltModel>({ maxEntries: MAX_MODELS, maxWeight: MAX_CACHED_PARAMS });

  get size(): number {
    return this.models.size;
  }

  /** The model for a checkpoint, built (and its weights loaded) on the first call. */
  async get(checkpointId: string, spec: unknown, loadBytes: () => Promise<Uint8Array>): Promise<BuiltModel> {
    const hit = this.models.get(checkpointId);
    if (hit) return hit;
    const bytes = await loadBytes();
    const model = Sequential.fromSpec(spec, { seed: 0 });
    model.loadWeights(bytes);
    const built = { model, flopsPerSample: model.summary().flops.forwardPerSample };
    this.models.set(checkpointId, built, Math.max(1, model.paramCount));
    return built;
  }
}

export function nest<T>(flat: ArrayLike<number>, shape: readonly number[], map: (v: number) => T): Nested<T>[] {
  const build = (offset: number, depth: number): Nested<T>[] => {
    const n = shape[depth];
    const out: Nested<T>[] = new Array<Nested<T>>(n);
    if (depth === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = map(flat[offset + i]);
      return out;
    }
    const stride = shape.slice(depth + 1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++) out[i] = build(offset + i * stride, depth + 1);
    return out;
  };
  return build(0, 0);
}

function argmaxLastAxis(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  const k = shape[shape.length - 1];
  const rows = data.length / k;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (data[r * k + j] > data[r * k + best]) best = j;
    out[r] = best;
  }
  return { data: out, shape: shape.slice(0, -1) };
}

function threshold(data: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] } {
  const out = data.map((v) => (v >= 0.5 ? 1 : 0));
  return shape.length > 1 && shape[shape.length - 1] === 1 ? { data: out, shape: shape.slice(0, -1) } : { data: out, shape: [...shape] };
}

/** Runs the model on the inputs; `loss` is the job's training loss (it decides the classes). */
export function predict(model: Sequential, inputs: PredictionInputs, loss: string | undefined): PredictionResult {
  const out = model.predict({ data: inputs.data, shape: [inputs.count, ...model.inputShape] }, { batchSize: 256 });
  const outputs = nest(out.data, out.shape, toJsonNumber);
  const kind = loss === undefined ? undefined : matchLoss(loss);
  const cls =
    kind === 'categoricalCrossentropy' || kind === 'sparseCategoricalCrossentropy' ? argmaxLastAxis(out.data, out.shape)
    : kind === 'binaryCrossentropy' ? threshold(out.data, out.shape)
    : undefined;
  const classes = cls ? (cls.shape.length === 1 ? Array.from(cls.data) : nest(cls.data, cls.shape, (v) => v)) : undefined;
  if (inputs.batched) return { outputs, ...(classes ? { classes } : {}) };
  return { outputs: outputs[0], ...(classes ? { classes: classes[0] } : {}) };
}
