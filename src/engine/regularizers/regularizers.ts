/**
 * L1 / L2 weight penalties (Keras names and defaults: 0.01). The penalty
 * `l1 * sum|w| + l2 * sum w^2` is added to each batch's loss, and its gradient
 * `l1 * sign(w) + 2 * l2 * w` to the parameter's gradient.
 */
import { canonicalName } from '../model/canonicalName.ts';
import { checkKnownFields, enumName, fail, finiteNumber, isRecord, type FieldContext } from '../model/fields.ts';

export const REGULARIZER_TYPES = ['l1', 'l2', 'l1l2'] as const;
export type RegularizerType = (typeof REGULARIZER_TYPES)[number];

export interface RegularizerConfig {
  type: RegularizerType;
  l1: number;
  l2: number;
}

/** Accepts `"l2"` or `{ "type": "l2", "l2": 0.001 }` (also `l1_l2`). */
export function parseRegularizer(raw: unknown, ctx: FieldContext, field: string): RegularizerConfig {
  const match = (s: string): RegularizerType | undefined => canonicalName(s, REGULARIZER_TYPES);
  let type: RegularizerType;
  let rec: Record<string, unknown> = {};
  if (typeof raw === 'string') {
    type = enumName(raw, REGULARIZER_TYPES, ctx, field, 'regularizer', match);
  } else if (isRecord(raw)) {
    type = enumName(raw.type, REGULARIZER_TYPES, ctx, `${field}.type`, 'regularizer', match);
    rec = raw;
  } else {
    fail(ctx, field, `must be a regularizer name or { "type": ... }; valid: ${REGULARIZER_TYPES.join(', ')}`);
  }
  const sub: FieldContext = { path: `${ctx.path}.${field}`, layerIndex: ctx.layerIndex };
  const nonNeg = { min: 0 };
  switch (type) {
    // The normalized form names both factors, the unused one 0: it must validate again
    // (a model's spec is re-read, e.g. by summary()).
    case 'l1':
      checkKnownFields(rec, ['type', 'l1', 'l2'], sub, type);
      zeroOnly(rec, 'l2', sub, type);
      return { type, l1: finiteNumber(rec, 'l1', sub, 0.01, nonNeg), l2: 0 };
    case 'l2':
      checkKnownFields(rec, ['type', 'l1', 'l2'], sub, type);
      zeroOnly(rec, 'l1', sub, type);
      return { type, l1: 0, l2: finiteNumber(rec, 'l2', sub, 0.01, nonNeg) };
    case 'l1l2':
      checkKnownFields(rec, ['type', 'l1', 'l2'], sub, type);
      return { type, l1: finiteNumber(rec, 'l1', sub, 0.01, nonNeg), l2: finiteNumber(rec, 'l2', sub, 0.01, nonNeg) };
  }
}

function zeroOnly(rec: Record<string, unknown>, name: 'l1' | 'l2', ctx: FieldContext, type: RegularizerType): void {
  if (rec[name] !== undefined && rec[name] !== 0) fail(ctx, name, `must be 0 for an ${type} regularizer (use l1l2 for both factors), got ${JSON.stringify(rec[name])}`);
}

/** The penalty of `w` under `config`. */
export function regularizerPenalty(config: RegularizerConfig, w: Float32Array): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    s1 += Math.abs(v);
    s2 += v * v;
  }
  return config.l1 * s1 + config.l2 * s2;
}

/** Adds the penalty's gradient into `grad` (accumulates, never assigns). Returns the penalty. */
export function applyRegularizer(config: RegularizerConfig, w: Float32Array, grad: Float32Array): number {
  const { l1, l2 } = config;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    s1 += Math.abs(v);
    s2 += v * v;
    grad[i] += l1 * Math.sign(v) + 2 * l2 * v;
  }
  return l1 * s1 + l2 * s2;
}

/**
 * Writes the penalty's gradient into `grad` (deferred weight gradients, before the product
 * adds onto it): the floats applyRegularizer leaves in zeroed gradients, so the sums that
 * follow are the ones a whole-batch backward makes.
 */
export function setRegularizerGrad(config: RegularizerConfig, w: Float32Array, grad: Float32Array): void {
  const { l1, l2 } = config;
  for (let i = 0; i < w.length; i++) {
    const v = w[i];
    grad[i] = 0 + (l1 * Math.sign(v) + 2 * l2 * v);
  }
}
