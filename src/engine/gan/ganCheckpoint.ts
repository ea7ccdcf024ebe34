/**
 * A GAN training checkpoint as one safetensors file:
 * - `generator.layers.<i>.<name>` and `discriminator.layers.<i>.<name>`: weights and buffers
 *   (PyTorch state_dict names under a per-network prefix);
 * - `generator.optimizer.<param>.<slot>` / `discriminator.optimizer.<param>.<slot>`: optimizer slots;
 * - `fixed_noise` [n, latentDim]: the latent vectors of the sample grid;
 * - `__metadata__.trainyard_gan`: JSON with the version, seed, dSteps, both specs, both optimizers'
 *   scalars, the four RNG states and the progress (epoch, step in epoch, step, the shuffle RNG at
 *   the epoch's start, the epoch's metric sums). Doubles round-trip through JSON exactly, so a
 *   resumed run is bit-identical.
 */
import { WeightsMismatchError } from '../errors.ts';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../io/safetensors.ts';
import type { Sequential } from '../model/Sequential.ts';
import type { OptimizerState } from '../optim/types.ts';
import type { RngState } from '../rng.ts';

export const GAN_CHECKPOINT_VERSION = 1;
const META_KEY = 'trainyard_gan';

export interface GanProgress {
  /** Completed epochs (the epoch being trained). */
  epoch: number;
  /** Steps done in the current epoch (0 at an epoch boundary). */
  stepInEpoch: number;
  /** Training steps done in total. */
  step: number;
  /** The shuffle RNG at the start of the current epoch (rebuilds a half-done epoch's order). */
  epochStartRng: RngState | null;
  /** Sums over the current epoch of d_loss, g_loss, d_acc_real, d_acc_fake. */
  sums: number[];
  batchSize: number;
  trainCount: number;
}

export interface GanRngStates {
  shuffle: RngState;
  noise: RngState;
  generator: RngState;
  discriminator: RngState;
}

export interface GanCheckpointParts {
  generator: Sequential;
  discriminator: Sequential;
  generatorOptimizer: OptimizerState;
  discriminatorOptimizer: OptimizerState;
  rngs: GanRngStates;
  fixedNoise: Float32Array;
  progress: GanProgress;
  seed: number;
  dSteps: number;
}

interface JsonRng { s: [number, number, number, number]; spare: number | null }
type JsonOptimizer = Omit<OptimizerState, 'slots'>;

interface GanMeta {
  version: number;
  seed: number;
  dSteps: number;
  specs: { generator: unknown; discriminator: unknown };
  optimizers: { generator: JsonOptimizer; discriminator: JsonOptimizer };
  rngs: Record<keyof GanRngStates, JsonRng>;
  progress: Omit<GanProgress, 'epochStartRng'> & { epochStartRng: JsonRng | null };
}

const rngToJson = (r: RngState): JsonRng => ({ s: [...r.s], spare: Number.isNaN(r.spare) ? null : r.spare });
const rngFromJson = (r: JsonRng): RngState => ({ s: [...r.s], spare: r.spare === null ? Number.NaN : r.spare });
const NETS = ['generator', 'discriminator'] as const;

function addNetwork(t: Record<string, SafetensorsTensor>, prefix: string, model: Sequential, opt: OptimizerState): void {
  for (const p of [...model.params, ...model.buffers]) t[`${prefix}.${p.name}`] = { dtype: 'F32', shape: [...p.shape], data: p.value };
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  for (const [key, slot] of Object.entries(opt.slots)) {
    const owner = [...shapes.keys()].find((n) => key.startsWith(`${n}.`));
    const shape = owner && slot.length === shapes.get(owner)?.reduce((a, b) => a * b, 1) ? [...(shapes.get(owner) as number[])] : [slot.length];
    t[`${prefix}.optimizer.${key}`] = { dtype: 'F32', shape, data: slot };
  }
}

const scalarsOf = (o: OptimizerState): JsonOptimizer => ({ type: o.type, step: o.step, learningRate: o.learningRate, scalars: { ...o.scalars } });

export function encodeGanCheckpoint(c: GanCheckpointParts): Uint8Array {
  const t: Record<string, SafetensorsTensor> = {};
  addNetwork(t, 'generator', c.generator, c.generatorOptimizer);
  addNetwork(t, 'discriminator', c.discriminator, c.discriminatorOptimizer);
  const latent = c.generator.inputShape[0];
  t.fixed_noise = { dtype: 'F32', shape: [c.fixedNoise.length / latent, latent], data: c.fixedNoise };
  const meta: GanMeta = {
    version: GAN_CHECKPOINT_VERSION,
    seed: c.seed,
    dSteps: c.dSteps,
    specs: { generator: c.generator.spec, discriminator: c.discriminator.spec },
    optimizers: { generator: scalarsOf(c.generatorOptimizer), discriminator: scalarsOf(c.discriminatorOptimizer) },
    rngs: { shuffle: rngToJson(c.rngs.shuffle), noise: rngToJson(c.rngs.noise), generator: rngToJson(c.rngs.generator), discriminator: rngToJson(c.rngs.discriminator) },
    progress: { ...c.progress, sums: [...c.progress.sums], epochStartRng: c.progress.epochStartRng ? rngToJson(c.progress.epochStartRng) : null },
  };
  return encodeSafetensors(t, { format: 'pt', [META_KEY]: JSON.stringify(meta) });
}

export interface DecodedGanCheckpoint {
  generatorOptimizer: OptimizerState;
  discriminatorOptimizer: OptimizerState;
  rngs: GanRngStates;
  progress: GanProgress;
  seed: number;
  dSteps: number;
}

/** The seed, dSteps and both specs of a GAN checkpoint (to rebuild the trainer before loading it). */
export function readGanCheckpointInfo(bytes: Uint8Array): { seed: number; dSteps: number; generator: unknown; discriminator: unknown } {
  const meta = parseMeta(decodeSafetensors(bytes).metadata);
  return { seed: meta.seed, dSteps: meta.dSteps, generator: meta.specs.generator, discriminator: meta.specs.discriminator };
}

function parseMeta(metadata: Record<string, string>): GanMeta {
  const raw = metadata[META_KEY];
  if (raw === undefined) throw new WeightsMismatchError(`not a GAN checkpoint (no __metadata__.${META_KEY})`);
  let meta: GanMeta;
  try {
    meta = JSON.parse(raw) as GanMeta;
  } catch {
    throw new WeightsMismatchError(`GAN checkpoint metadata "${META_KEY}" is not valid JSON`);
  }
  if (meta.version !== GAN_CHECKPOINT_VERSION) throw new WeightsMismatchError(`GAN checkpoint version ${meta.version} is not supported (expected ${GAN_CHECKPOINT_VERSION})`);
  return meta;
}

/** Validates every tensor (names, dtypes, shapes) first, then copies weights, buffers and fixed noise; returns the rest. */
export function decodeGanCheckpoint(bytes: Uint8Array, generator: Sequential, discriminator: Sequential, fixedNoise: Float32Array): DecodedGanCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const meta = parseMeta(metadata);
  const targets: { name: string; shape: readonly number[]; value: Float32Array }[] = [];
  const models = { generator, discriminator };
  for (const net of NETS) {
    for (const p of [...models[net].params, ...models[net].buffers]) targets.push({ name: `${net}.${p.name}`, shape: p.shape, value: p.value });
  }
  targets.push({ name: 'fixed_noise', shape: [fixedNoise.length / generator.inputShape[0], generator.inputShape[0]], value: fixedNoise });
  for (const p of targets) {
    const t = tensors[p.name];
    if (!t) throw new WeightsMismatchError(`missing tensor "${p.name}" (expected shape [${p.shape.join(', ')}])`, p.name, p.shape);
    if (t.dtype !== 'F32') throw new WeightsMismatchError(`tensor "${p.name}" has dtype ${t.dtype}; only F32 is supported`, p.name, p.shape, t.shape);
    const same = t.shape.length === p.shape.length && t.shape.every((d, i) => d === p.shape[i]);
    if (!same) throw new WeightsMismatchError(`tensor "${p.name}": expected shape [${p.shape.join(', ')}], the file has [${t.shape.join(', ')}]`, p.name, p.shape, t.shape);
  }
  for (const p of targets) p.value.set(tensors[p.name].data as Float32Array);
  const slots = { generator: {} as Record<string, Float32Array>, discriminator: {} as Record<string, Float32Array> };
  for (const [name, t] of Object.entries(tensors)) {
    for (const net of NETS) {
      const prefix = `${net}.optimizer.`;
      if (name.startsWith(prefix)) slots[net][name.slice(prefix.length)] = (t.data as Float32Array).slice();
    }
  }
  const r = meta.rngs;
  return {
    generatorOptimizer: { ...meta.optimizers.generator, slots: slots.generator },
    discriminatorOptimizer: { ...meta.optimizers.discriminator, slots: slots.discriminator },
    rngs: { shuffle: rngFromJson(r.shuffle), noise: rngFromJson(r.noise), generator: rngFromJson(r.generator), discriminator: rngFromJson(r.discriminator) },
    progress: { ...meta.progress, sums: [...meta.progress.sums], epochStartRng: meta.progress.epochStartRng ? rngFromJson(meta.progress.epochStartRng) : null },
    seed: meta.seed,
    dSteps: meta.dSteps,
  };
}
