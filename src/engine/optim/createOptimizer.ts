import { SpecError } from '../errors.ts';
import type { Optimizer } from './types.ts';
import type { LearningRateSchedule } from './learningRateSchedule.ts';
import type { ReduceLROnPlateauConfig } from './reduceLROnPlateau.ts';
import { exponentialDecay } from './exponentialDecay.ts';
import { cosineDecay } from './cosineDecay.ts';
import { piecewiseConstantDecay } from './piecewiseConstantDecay.ts';
import { Sgd } from './sgd.ts';
import { Adam } from './adam.ts';
import { AdamW } from './adamw.ts';
import { Rmsprop } from './rmsprop.ts';
import { Adagrad } from './adagrad.ts';

export type OptimizerType = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';
export type ScheduleType = 'exponentialDecay' | 'cosineDecay' | 'piecewiseConstantDecay';

/** A learning-rate schedule in a JSON config, after validation (camelCase fields). */
export type ScheduleConfig = { type: ScheduleType } & Record<string, unknown>;

/** A validated optimizer config: canonical `type`, camelCase fields, schedule validated. */
export interface OptimizerConfig {
  type: OptimizerType;
  learningRate?: number | ScheduleConfig;
  [field: string]: unknown;
}

type Rule = (path: string, v: unknown) => unknown;

const OPTIMIZER_TYPES: Record<string, OptimizerType> = {
  sgd: 'sgd', adam: 'adam', adamw: 'adamw', rmsprop: 'rmsprop', adagrad: 'adagrad',
};
const SCHEDULE_TYPES: Record<string, ScheduleType> = {
  exponentialdecay: 'exponentialDecay', cosinedecay: 'cosineDecay', piecewiseconstantdecay: 'piecewiseConstantDecay',
};

function num(opts: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; integer?: boolean }): Rule {
  return (path, v) => {
    if (typeof v !== 'number') throw new SpecError(path, `must be a number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new SpecError(path, `must be finite, got ${v}`);
    if (opts.integer && !Number.isInteger(v)) throw new SpecError(path, `must be an integer, got ${v}`);
    if (opts.min !== undefined && (opts.minExclusive ? v <= opts.min : v < opts.min)) {
      throw new SpecError(path, `must be ${opts.minExclusive ? '>' : '>='} ${opts.min}, got ${v}`);
    }
    if (opts.max !== undefined && (opts.maxExclusive ? v >= opts.max : v > opts.max)) {
      throw new SpecError(path, `must be ${opts.maxExclusive ? '<' : '<='} ${opts.max}, got ${v}`);
    }
    return v;
  };
}
const bool: Rule = (path, v) => {
  if (typeof v !== 'boolean') throw new SpecError(path, `must be true or false, got ${describe(v)}`);
  return v;
};
const oneOf = (...allowed: string[]): Rule => (path, v) => {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new SpecError(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(v)}`);
  }
  return v;
};
const nonEmptyString: Rule = (path, v) => {
  if (typeof v !== 'string' || v === '') throw new SpecError(path, `must be a non-empty string, got ${describe(v)}`);
  return v;
};
const numArray = (item: Rule): Rule => (path, v) => {
  if (!Array.isArray(v)) throw new SpecError(path, `must be an array of numbers, got ${describe(v)}`);
  return v.map((x, i) => item(`${path}[${i}]`, x));
};

const nonNeg = num({ min: 0 });
const positive = num({ min: 0, minExclusive: true });
const unit = num({ min: 0, max: 1, maxExclusive: true });
const nonNegInt = num({ min: 0, integer: true });

const COMMON: Record<string, Rule> = {
  clipnorm: positive,
  globalClipnorm: positive,
  clipvalue: positive,
  reduceLROnPlateau: (path, v) => normalizeFields(path, v, PLATEAU_FIELDS),
};
const PLATEAU_FIELDS: Record<string, Rule> = {
  monitor: nonEmptyString,
  factor: num({ min: 0, max: 1, minExclusive: true, maxExclusive: true }),
  patience: nonNegInt,
  minDelta: nonNeg,
  cooldown: nonNegInt,
  minLr: nonNeg,
  mode: oneOf('auto', 'min', 'max'),
};
const FIELDS: Record<OptimizerType, Record<string, Rule>> = {
  sgd: { momentum: nonNeg, nesterov: bool, weightDecay: nonNeg },
  adam: { beta1: unit, beta2: unit, epsilon: nonNeg, amsgrad: bool, weightDecay: nonNeg },
  adamw: { beta1: unit, beta2: unit, epsilon: nonNeg, amsgrad: bool, weightDecay: nonNeg },
  rmsprop: { rho: unit, momentum: nonNeg, centered: bool, epsilon: nonNeg, weightDecay: nonNeg },
  adagrad: { initialAccumulatorValue: nonNeg, epsilon: nonNeg, weightDecay: nonNeg },
};
const SCHEDULE_FIELDS: Record<ScheduleType, { required: string[]; rules: Record<string, Rule> }> = {
  exponentialDecay: {
    required: ['initialLearningRate', 'decaySteps', 'decayRate'],
    rules: { initialLearningRate: nonNeg, decaySteps: positive, decayRate: positive, staircase: bool },
  },
  cosineDecay: {
    required: ['initialLearningRate', 'decaySteps'],
    rules: {
      initialLearningRate: nonNeg, decaySteps: positive, alpha: num({ min: 0, max: 1 }),
      warmupTarget: nonNeg, warmupSteps: nonNegInt,
    },
  },
  piecewiseConstantDecay: {
    required: ['boundaries', 'values'],
    rules: { boundaries: numArray(num({})), values: numArray(nonNeg) },
  },
};

/** `learning_rate` → `learningRate`, `beta_1` → `beta1`, `global_clipnorm` → `globalClipnorm`. */
function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function normalizeFields(path: string, v: unknown, rules: Record<string, Rule>, skip: readonly string[] = []): Record<string, unknown> {
  if (!isObject(v)) throw new SpecError(path, `must be an object, got ${describe(v)}`);
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(v)) {
    if (skip.includes(rawKey)) continue;
    const key = camel(rawKey);
    const rule = rules[key];
    if (rule === undefined) {
      const known = Object.keys(rules).join(', ');
      throw new SpecError(`${path}.${rawKey}`, `unknown field (known: ${known})`);
    }
    if (key in out) throw new SpecError(`${path}.${rawKey}`, `given twice (as ${key} and ${rawKey})`);
    if (value === undefined) continue;
    out[key] = rule(`${path}.${rawKey}`, value);
  }
  return out;
}

function normalizeSchedule(path: string, v: unknown): ScheduleConfig {
  if (!isObject(v)) throw new SpecError(path, `must be a number or a schedule object, got ${describe(v)}`);
  const rawType = v.type;
  if (typeof rawType !== 'string') throw new SpecError(`${path}.type`, 'is required: a schedule name such as "exponentialDecay"');
  const type = SCHEDULE_TYPES[rawType.replace(/_/g, '').toLowerCase()];
  if (type === undefined) {
    throw new SpecError(`${path}.type`, `unknown schedule ${JSON.stringify(rawType)} (known: ${Object.values(SCHEDULE_TYPES).join(', ')})`);
  }
  const spec = SCHEDULE_FIELDS[type];
  const out = normalizeFields(path, v, spec.rules, ['type']);
  for (const r of spec.required) if (!(r in out)) throw new SpecError(`${path}.${r}`, 'is required');
  if (type === 'piecewiseConstantDecay') {
    const b = out.boundaries as number[];
    const vals = out.values as number[];
    if (vals.length !== b.length + 1) {
      throw new SpecError(`${path}.values`, `must have one more entry than boundaries (${b.length + 1}), got ${vals.length}`);
    }
    for (let i = 1; i < b.length; i++) {
      if (!(b[i] > b[i - 1])) throw new SpecError(`${path}.boundaries[${i}]`, `must be greater than the previous boundary ${b[i - 1]}, got ${b[i]}`);
    }
  }
  if (type === 'cosineDecay' && out.warmupSteps !== undefined && out.warmupSteps !== 0 && out.warmupTarget === undefined) {
    throw new SpecError(`${path}.warmupTarget`, 'is required when warmupSteps is given');
  }
  return { type, ...out };
}

/**
 * Validate a JSON optimizer config and return it in canonical form. Accepts
 * Keras' snake_case type names and field names (`learning_rate`, `beta_1`,
 * `global_clipnorm`, `exponential_decay`...). Throws SpecError (from ../errors.ts) naming the
 * field (`<path>.<field>`).
 */
export function normalizeOptimizerConfig(config: unknown, path = 'optimizer'): OptimizerConfig {
  if (typeof config === 'string') config = { type: config };
  if (!isObject(config)) throw new SpecError(path, `must be an object like {"type": "adam"}, got ${describe(config)}`);
  const rawType = config.type;
  if (typeof rawType !== 'string') throw new SpecError(`${path}.type`, 'is required: one of sgd, adam, adamw, rmsprop, adagrad');
  const type = OPTIMIZER_TYPES[rawType.replace(/_/g, '').toLowerCase()];
  if (type === undefined) {
    throw new SpecError(`${path}.type`, `unknown optimizer ${JSON.stringify(rawType)} (known: ${Object.keys(OPTIMIZER_TYPES).join(', ')})`);
  }
  const rules: Record<string, Rule> = {
    ...COMMON,
    ...FIELDS[type],
    learningRate: (p, v) => (typeof v === 'number' ? nonNeg(p, v) : normalizeSchedule(p, v)),
  };
  const out = normalizeFields(path, config, rules, ['type']);
  const clips = ['clipnorm', 'globalClipnorm', 'clipvalue'].filter((k) => out[k] !== undefined);
  if (clips.length > 1) throw new SpecError(`${path}.${clips[1]}`, `only one of clipnorm, globalClipnorm, clipvalue may be set (also got ${clips[0]})`);
  if (type === 'sgd' && out.nesterov === true && !(((out.momentum as number | undefined) ?? 0) > 0)) {
    throw new SpecError(`${path}.nesterov`, 'needs momentum > 0');
  }
  return { type, ...out };
}

/** Build a schedule from a validated (or hand-written camelCase) schedule config. */
export function createSchedule(config: unknown, path = 'learningRate'): LearningRateSchedule {
  const c = normalizeSchedule(path, config);
  switch (c.type) {
    case 'exponentialDecay':
      return exponentialDecay(c as unknown as Parameters<typeof exponentialDecay>[0]);
    case 'cosineDecay':
      return cosineDecay(c as unknown as Parameters<typeof cosineDecay>[0]);
    case 'piecewiseConstantDecay':
      return piecewiseConstantDecay(c as unknown as Parameters<typeof piecewiseConstantDecay>[0]);
  }
}

/**
 * Build an optimizer from a JSON config such as `{"type": "adam", "learningRate": 0.001}`
 * or `{"type": "sgd", "learningRate": {"type": "exponentialDecay", ...}, "momentum": 0.9}`.
 */
export function createOptimizer(config: unknown, path = 'optimizer'): Optimizer {
  const c = normalizeOptimizerConfig(config, path);
  const { type: _type, learningRate: lrConfig, ...rest } = c;
  const learningRate = lrConfig === undefined || typeof lrConfig === 'number'
    ? lrConfig
    : createSchedule(lrConfig, `${path}.learningRate`);
  const o = { ...rest, learningRate } as Record<string, unknown> & {
    learningRate?: number | LearningRateSchedule;
    reduceLROnPlateau?: ReduceLROnPlateauConfig;
  };
  switch (c.type) {
    case 'sgd': return new Sgd(o);
    case 'adam': return new Adam(o);
    case 'adamw': return new AdamW(o);
    case 'rmsprop': return new Rmsprop(o);
    case 'adagrad': return new Adagrad(o);
  }
}
