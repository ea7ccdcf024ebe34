/**
 * Weights and training checkpoints as safetensors.
 *
 * Weights: one F32 tensor per parameter and buffer, named as PyTorch's
 * state_dict (`layers.<i>.weight` [out,in], `layers.<i>.bias`), metadata
 * `{"format": "pt"}`.
 *
 * Training checkpoint: the weights, plus each optimizer slot as
 * `optimizer.<param>.<slot>` (e.g. `optimizer.layers.0.weight.exp_avg`, shaped
 * like its parameter), plus `__metadata__.trainyard`, a JSON string with the
 * optimizer's type, step, learning rate and scalars, the training Rng state,
 * and the progress (epoch, batch in epoch, step, Rng state at the epoch's start).
 * Numbers survive JSON exactly (doubles round-trip), so a resumed run is
 * bit-identical.
 */
import { WeightsMismatchError } from '../errors.ts';
import { decodeSafetensors, encodeSafetensors, safetensorsHeader, type SafetensorsTensor } from '../io/safetensors.ts';
import type { LayerBuffer, LayerParameter } from '../layers/types.ts';
import type { OptimizerState } from '../optim/types.ts';
import type { RngState } from '../rng.ts';
import type { TrainingProgress } from '../train/trainingProgress.ts';
import { describeShape } from './describe.ts';

export const CHECKPOINT_VERSION = 1;
const OPTIMIZER_PREFIX = 'optimizer.';

interface Named {
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: Float32Array;
}

function weightTensors(params: readonly Named[], buffers: readonly Named[]): Record<string, SafetensorsTensor> {
  const t: Record<string, SafetensorsTensor> = {};
  for (const p of [...params, ...buffers]) t[p.name] = { dtype: 'F32', shape: [...p.shape], data: p.value };
  return t;
}

export function encodeWeights(params: readonly LayerParameter[], buffers: readonly LayerBuffer[]): Uint8Array {
  return encodeSafetensors(weightTensors(params, buffers), { format: 'pt' });
}

/** Validates every tensor first (names, dtypes, shapes), then copies: a mismatch changes nothing. */
export function loadWeightsInto(bytes: Uint8Array, params: readonly LayerParameter[], buffers: readonly LayerBuffer[]): Record<string, string> {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const targets: Named[] = [...params, ...buffers];
  const known = new Set(targets.map((p) => p.name));
  for (const name of Object.keys(tensors)) {
    if (!known.has(name) && !name.startsWith(OPTIMIZER_PREFIX)) {
      throw new WeightsMismatchError(`unexpected tensor "${name}" ${describeShape(tensors[name].shape)}; the model has ${[...known].join(', ')}`, name, undefined, tensors[name].shape);
    }
  }
  for (const p of targets) {
    const t = tensors[p.name];
    if (!t) throw new WeightsMismatchError(`missing tensor "${p.name}" (the model expects shape ${describeShape(p.shape)})`, p.name, p.shape);
    if (t.dtype !== 'F32') throw new WeightsMismatchError(`tensor "${p.name}" has dtype ${t.dtype}; only F32 is supported`, p.name, p.shape, t.shape);
    const same = t.shape.length === p.shape.length && t.shape.every((d, i) => d === p.shape[i]);
    if (!same) {
      throw new WeightsMismatchError(`tensor "${p.name}": the model expects shape ${describeShape(p.shape)} but the file has ${describeShape(t.shape)}`, p.name, p.shape, t.shape);
    }
  }
  for (const p of targets) p.value.set(tensors[p.name].data as Float32Array);
  return metadata;
}

export interface CheckpointParts {
  params: readonly LayerParameter[];
  buffers: readonly LayerBuffer[];
  optimizer: OptimizerState;
  rng: RngState;
  progress: TrainingProgress;
  seed: number;
  /** The normalised model spec, so a checkpoint alone can rebuild its model. */
  spec: unknown;
}

interface CheckpointMeta {
  version: number;
  seed: number;
  spec: unknown;
  optimizer: { type: string; step: number; learningRate: number; scalars: Record<string, number> };
  rng: JsonRng;
  progress: { epoch: number; batchInEpoch: number; step: number; epochStartRng: JsonRng | null; lossSum?: number; seen?: number; batchSize?: number; trainCount?: number };
}

interface JsonRng {
  s: [number, number, number, number];
  spare: number | null;
}

const rngToJson = (r: RngState): JsonRng => ({ s: [...r.s], spare: Number.isNaN(r.spare) ? null : r.spare });
const rngFromJson = (r: JsonRng): RngState => ({ s: [...r.s], spare: r.spare === null ? Number.NaN : r.spare });

export function encodeCheckpoint(c: CheckpointParts): Uint8Array {
  const tensors = weightTensors(c.params, c.buffers);
  const shapes = new Map(c.params.map((p) => [p.name, p.shape]));
  for (const [key, slot] of Object.entries(c.optimizer.slots)) {
    const owner = [...shapes.keys()].find((n) => key.startsWith(`${n}.`));
    const shape = owner && slot.length === shapes.get(owner)?.reduce((a, b) => a * b, 1) ? [...(shapes.get(owner) as number[])] : [slot.length];
    tensors[`${OPTIMIZER_PREFIX}${key}`] = { dtype: 'F32', shape, data: slot };
  }
  const meta: CheckpointMeta = {
    version: CHECKPOINT_VERSION,
    seed: c.seed,
    spec: c.spec,
    optimizer: { type: c.optimizer.type, step: c.optimizer.step, learningRate: c.optimizer.learningRate, scalars: { ...c.optimizer.scalars } },
    rng: rngToJson(c.rng),
    progress: {
      epoch: c.progress.epoch,
      batchInEpoch: c.progress.batchInEpoch,
      step: c.progress.step,
      epochStartRng: c.progress.epochStartRng ? rngToJson(c.progress.epochStartRng) : null,
      lossSum: c.progress.lossSum,
      seen: c.progress.seen,
      batchSize: c.progress.batchSize,
      trainCount: c.progress.trainCount,
    },
  };
  return encodeSafetensors(tensors, { format: 'pt', trainyard: JSON.stringify(meta) });
}

/** The spec, seed and progress of a training checkpoint, read from its header only. */
export function readCheckpointInfo(bytes: Uint8Array): { spec: unknown; seed: number; epoch: number; step: number } {
  const meta = parseMeta(safetensorsHeader(bytes).metadata);
  return { spec: meta.spec, seed: meta.seed, epoch: meta.progress.epoch, step: meta.progress.step };
}

function parseMeta(metadata: Record<string, string>): CheckpointMeta {
  if (metadata.trainyard === undefined) throw new WeightsMismatchError('not a training checkpoint (no __metadata__.trainyard); use loadWeights for plain weights');
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(metadata.trainyard) as CheckpointMeta;
  } catch {
    throw new WeightsMismatchError('checkpoint metadata "trainyard" is not valid JSON');
  }
  if (meta.version !== CHECKPOINT_VERSION) throw new WeightsMismatchError(`checkpoint version ${meta.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  return meta;
}

export interface DecodedCheckpoint {
  optimizer: OptimizerState;
  rng: RngState;
  progress: Omit<TrainingProgress, 'resumeEpoch'>;
  seed: number;
}

/**
 * Loads the weights into `params` / `buffers` and returns the rest of the training state.
 * `checkOptimizer` sees the optimizer state first, before any weight changes, and may throw.
 */
export function decodeCheckpoint(
  bytes: Uint8Array, params: readonly LayerParameter[], buffers: readonly LayerBuffer[], checkOptimizer?: (state: OptimizerState) => void,
): DecodedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const meta = parseMeta(metadata);
  const slots: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (!name.startsWith(OPTIMIZER_PREFIX)) continue;
    if (t.dtype !== 'F32') throw new WeightsMismatchError(`tensor "${name}" has dtype ${t.dtype}; only F32 is supported`, name);
    slots[name.slice(OPTIMIZER_PREFIX.length)] = t.data as Float32Array;
  }
  checkOptimizer?.({ ...meta.optimizer, slots });
  loadWeightsInto(bytes, params, buffers);
  return {
    optimizer: { ...meta.optimizer, slots },
    rng: rngFromJson(meta.rng),
    progress: {
      epoch: meta.progress.epoch,
      batchInEpoch: meta.progress.batchInEpoch,
      step: meta.progress.step,
      epochStartRng: meta.progress.epochStartRng ? rngFromJson(meta.progress.epochStartRng) : null,
      lossSum: meta.progress.lossSum ?? 0,
      seen: meta.progress.seen ?? 0,
      batchSize: meta.progress.batchSize ?? 0,
      trainCount: meta.progress.trainCount ?? 0,
    },
    seed: meta.seed,
  };
}
