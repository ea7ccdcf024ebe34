/**
 * A download of a checkpoint's weights. A training checkpoint (the engine's
 * `saveCheckpoint`) holds the model tensors (`layers.<i>.weight`, `layers.<i>.bias`,
 * and buffers such as `layers.<i>.running_mean`), the optimizer's slots under
 * `optimizer.` and the training state in `__metadata__.trainyard`. A download
 * keeps only the model tensors, with a small metadata block:
 * `{ format: "pt", job_id, checkpoint_id, epoch, step }` (strings, as safetensors wants).
 *
 * A GAN checkpoint (the engine's `GanTrainer.saveCheckpoint`) holds both networks under
 * `generator.` and `discriminator.` (each with its `<net>.optimizer.` slots) and the fixed
 * noise: a download is one network's model tensors with the prefix taken off, so the
 * names are the same `layers.<i>.*` as a train job's, plus `network` in the metadata.
 *
 * - `safetensors`: the tensors as written by the engine (F32, PyTorch state_dict names).
 * - `json`: `{ tensors: { name: { shape, data } }, metadata }`, data flat in row-major
 *   order, non-finite values as the strings "NaN", "Infinity", "-Infinity".
 */
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../engine/index.ts';
import { toJsonNumber, type JsonNumber } from './json-number.ts';

export type WeightsFormat = 'safetensors' | 'json';
export type GanNetwork = 'generator' | 'discriminator';

/** Tensor-name prefix of optimizer state in a training checkpoint (engine/model/checkpoint.ts). */
const OPTIMIZER_PREFIX = 'optimizer.';
/** A JSON download of more values than this is refused: use safetensors. */
export const MAX_JSON_VALUES = 5_000_000;

export interface WeightsSource {
  jobId: string;
  checkpointId: string;
  epoch: number;
  step: number;
  bytes: Uint8Array;
  /** A GAN checkpoint: which network to take. */
  network?: GanNetwork;
}

export interface WeightsFile {
  body: Buffer;
  contentType: string;
  filename: string;
}

export interface JsonWeights {
  tensors: Record<string, { shape: number[]; data: JsonNumber[] }>;
  metadata: Record<string, string>;
}

function layerIndex(name: string): number {
  const m = /^layers\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/** The model tensors of a checkpoint (of one network of a GAN checkpoint, prefix removed), in layer order. */
export function modelTensors(checkpoint: Uint8Array, network?: GanNetwork): Array<[string, SafetensorsTensor]> {
  const { tensors } = decodeSafetensors(checkpoint);
  let entries = Object.entries(tensors);
  if (network !== undefined) {
    const prefix = `${network}.`;
    entries = entries.filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t]);
  }
  return entries
    .filter(([name]) => !name.startsWith(OPTIMIZER_PREFIX))
    .sort(([a], [b]) => layerIndex(a) - layerIndex(b) || (a < b ? -1 : a > b ? 1 : 0));
}

export function weightsMetadata(s: WeightsSource): Record<string, string> {
  return { format: 'pt', job_id: s.jobId, checkpoint_id: s.checkpointId, epoch: String(s.epoch), step: String(s.step), ...(s.network ? { network: s.network } : {}) };
}

export function weightsFilename(s: WeightsSource, format: WeightsFormat): string {
  return `trainyard-${s.jobId}${s.network ? `-${s.network}` : ''}-step${s.step}.${format === 'json' ? 'json' : 'safetensors'}`;
}

/** One network of a GAN checkpoint as a weights file the engine's `loadWeights` takes. */
export function ganNetworkWeights(checkpoint: Uint8Array, network: GanNetwork): Uint8Array {
  return encodeSafetensors(Object.fromEntries(modelTensors(checkpoint, network)));
}

/** Encodes the download; throws RangeError when a JSON download would be too large. */
export function encodeWeightsFile(s: WeightsSource, format: WeightsFormat): WeightsFile {
  const tensors = modelTensors(s.bytes, s.network);
  const metadata = weightsMetadata(s);
  const filename = weightsFilename(s, format);
  if (format === 'safetensors') {
    const bytes = encodeSafetensors(Object.fromEntries(tensors), metadata);
    return { body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), contentType: 'application/octet-stream', filename };
  }
  const count = tensors.reduce((n, [, t]) => n + t.data.length, 0);
  if (count > MAX_JSON_VALUES) throw new RangeError(`the model has ${count} values; JSON downloads stop at ${MAX_JSON_VALUES}: use format=safetensors`);
  const out: JsonWeights = { tensors: {}, metadata };
  for (const [name, t] of tensors) {
    out.tensors[name] = { shape: [...t.shape], data: Array.from(t.data as ArrayLike<number>, toJsonNumber) };
  }
  return { body: Buffer.from(JSON.stringify(out)), contentType: 'application/json; charset=utf-8', filename };
}
