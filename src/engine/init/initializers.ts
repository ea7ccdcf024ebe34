/**
 * Weight initialisers with Keras names and defaults, filling a Float32Array
 * from the engine's seeded Rng.
 *
 * Fans follow PyTorch's layout: a weight of shape [out, in, ...receptive]
 * has fanIn = in * receptive and fanOut = out * receptive (a dense weight
 * [out, in] gives Keras's fan_in = in, fan_out = out). A rank-1 tensor uses
 * its length for both.
 *
 * The normal variants of glorot / he / leCun follow Keras 2.x+ (VarianceScaling
 * with distribution="truncated_normal"): draws beyond two standard deviations
 * are redrawn and the stddev is divided by 0.87962566103423978 (the stddev of a
 * standard normal truncated to [-2, 2]) so the result has the intended variance.
 * `randomNormal` is a plain (untruncated) normal, `truncatedNormal` truncates
 * at two stddevs without rescaling, both as in Keras. Keras's per-initializer
 * `seed` is not accepted: the model's seed drives every initializer.
 */
import type { Rng } from '../rng.ts';
import { canonicalName } from '../model/canonicalName.ts';
import { checkKnownFields, enumName, fail, finiteNumber, isRecord, type FieldContext } from '../model/fields.ts';
import { orthogonalInit } from './orthogonal.ts';

export const INITIALIZER_TYPES = [
  'glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'leCunUniform', 'leCunNormal',
  'zeros', 'ones', 'constant', 'randomNormal', 'randomUniform', 'truncatedNormal', 'orthogonal',
] as const;
export type InitializerType = (typeof INITIALIZER_TYPES)[number];

export type InitializerConfig =
  | { type: 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'leCunUniform' | 'leCunNormal' | 'zeros' | 'ones' }
  | { type: 'constant'; value: number }
  | { type: 'randomNormal' | 'truncatedNormal'; mean: number; stddev: number }
  | { type: 'randomUniform'; minval: number; maxval: number }
  | { type: 'orthogonal'; gain: number }
  /** Internal (not a spec name): consecutive slices of a rank-1 tensor, each with its own initializer (LSTM unitForgetBias). */
  | { type: 'concat'; parts: readonly { size: number; initializer: InitializerConfig }[] };

const ALIASES: Record<string, InitializerType> = {
  xavierUniform: 'glorotUniform', xavierNormal: 'glorotNormal', zero: 'zeros', one: 'ones',
};

/** The stddev of a standard normal truncated to [-2, 2] (Keras's correction factor). */
export const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978;

/** Accepts `"heNormal"`, `"he_normal"` or `{ "type": "randomNormal", "stddev": 0.1 }`. */
export function parseInitializer(raw: unknown, ctx: FieldContext, field: string): InitializerConfig {
  const match = (s: string): InitializerType | undefined => canonicalName(s, INITIALIZER_TYPES, ALIASES);
  if (typeof raw === 'string') return withDefaults(enumName(raw, INITIALIZER_TYPES, ctx, field, 'initializer', match), {}, ctx, field);
  if (!isRecord(raw)) fail(ctx, field, `must be an initializer name or { "type": ... }; valid: ${INITIALIZER_TYPES.join(', ')}`);
  const type = enumName(raw.type, INITIALIZER_TYPES, ctx, `${field}.type`, 'initializer', match);
  return withDefaults(type, raw, ctx, field);
}

function withDefaults(type: InitializerType, raw: Record<string, unknown>, ctx: FieldContext, field: string): InitializerConfig {
  const sub: FieldContext = { path: `${ctx.path}.${field}`, layerIndex: ctx.layerIndex };
  switch (type) {
    case 'constant':
      checkKnownFields(raw, ['type', 'value'], sub, type);
      return { type, value: finiteNumber(raw, 'value', sub, 0) };
    case 'randomNormal':
    case 'truncatedNormal':
      checkKnownFields(raw, ['type', 'mean', 'stddev'], sub, type);
      return { type, mean: finiteNumber(raw, 'mean', sub, 0), stddev: finiteNumber(raw, 'stddev', sub, 0.05, { min: 0 }) };
    case 'orthogonal':
      checkKnownFields(raw, ['type', 'gain'], sub, type);
      return { type, gain: finiteNumber(raw, 'gain', sub, 1) };
    case 'randomUniform': {
      checkKnownFields(raw, ['type', 'minval', 'maxval'], sub, type);
      const minval = finiteNumber(raw, 'minval', sub, -0.05);
      const maxval = finiteNumber(raw, 'maxval', sub, 0.05);
      if (maxval < minval) fail(sub, 'maxval', `must be >= minval (${minval}), got ${maxval}`);
      return { type, minval, maxval };
    }
    default:
      checkKnownFields(raw, ['type'], sub, type);
      return { type };
  }
}

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** Fills `out` (the flat storage of a tensor of `shape`) in place. */
export function initialize(config: InitializerConfig, out: Float32Array, shape: readonly number[], rng: Rng): void {
  const { fanIn, fanOut } = fans(shape);
  const n = out.length;
  const uniform = (limit: number): void => {
    for (let i = 0; i < n; i++) out[i] = rng.uniform(-limit, limit);
  };
  const truncated = (mean: number, stddev: number): void => {
    for (let i = 0; i < n; i++) {
      let z = rng.normal();
      while (z < -2 || z > 2) z = rng.normal();
      out[i] = mean + stddev * z;
    }
  };
  switch (config.type) {
    case 'zeros': out.fill(0); return;
    case 'ones': out.fill(1); return;
    case 'constant': out.fill(config.value); return;
    case 'glorotUniform': uniform(Math.sqrt(6 / (fanIn + fanOut))); return;
    case 'heUniform': uniform(Math.sqrt(6 / fanIn)); return;
    case 'leCunUniform': uniform(Math.sqrt(3 / fanIn)); return;
    case 'glorotNormal': truncated(0, Math.sqrt(2 / (fanIn + fanOut)) / TRUNCATED_NORMAL_STDDEV); return;
    case 'heNormal': truncated(0, Math.sqrt(2 / fanIn) / TRUNCATED_NORMAL_STDDEV); return;
    case 'leCunNormal': truncated(0, Math.sqrt(1 / fanIn) / TRUNCATED_NORMAL_STDDEV); return;
    case 'truncatedNormal': truncated(config.mean, config.stddev); return;
    case 'randomNormal':
      for (let i = 0; i < n; i++) out[i] = rng.normal(config.mean, config.stddev);
      return;
    case 'randomUniform':
      for (let i = 0; i < n; i++) out[i] = rng.uniform(config.minval, config.maxval);
      return;
    case 'orthogonal': orthogonalInit(out, shape, config.gain, rng); return;
    case 'concat': {
      let o = 0;
      for (const part of config.parts) {
        initialize(part.initializer, out.subarray(o, o + part.size), [part.size], rng);
        o += part.size;
      }
      return;
    }
  }
}
