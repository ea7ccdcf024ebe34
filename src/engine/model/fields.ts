/**
 * Hand-written field checks for the model spec (the engine has no schema
 * library). Every check throws a `SpecError` whose path names the layer and
 * field, e.g. `layers[1].units: must be a positive integer, got -3`.
 */
import { SpecError } from '../errors.ts';
import { describeValue } from './describe.ts';

export interface FieldContext {
  /** e.g. `layers[1]` */
  readonly path: string;
  readonly layerIndex?: number;
}

export function fail(ctx: FieldContext, field: string | undefined, message: string): never {
  const path = field === undefined ? ctx.path : ctx.path === '' ? field : `${ctx.path}.${field}`;
  throw new SpecError(path, message, ctx.layerIndex);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rejects fields other than `allowed`, listing the valid ones. */
export function checkKnownFields(raw: Record<string, unknown>, allowed: readonly string[], ctx: FieldContext, what: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      fail(ctx, key, `unknown field for ${what}; valid fields are ${allowed.map((f) => `"${f}"`).join(', ')}`);
    }
  }
}

export function positiveInt(raw: Record<string, unknown>, field: string, ctx: FieldContext, fallback?: number): number {
  const v = raw[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (v === undefined) fail(ctx, field, 'is required (a positive integer)');
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(ctx, field, `must be a positive integer, got ${describeValue(v)}`);
  return v;
}

export interface NumberBounds {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

export function finiteNumber(raw: Record<string, unknown>, field: string, ctx: FieldContext, fallback?: number, bounds: NumberBounds = {}): number {
  const v = raw[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (v === undefined) fail(ctx, field, 'is required (a number)');
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(ctx, field, `must be a finite number, got ${describeValue(v)}`);
  const { min, max, minExclusive = false, maxExclusive = false } = bounds;
  if (min !== undefined && (minExclusive ? v <= min : v < min)) fail(ctx, field, `must be ${minExclusive ? '>' : '>='} ${min}, got ${v}`);
  if (max !== undefined && (maxExclusive ? v >= max : v > max)) fail(ctx, field, `must be ${maxExclusive ? '<' : '<='} ${max}, got ${v}`);
  return v;
}

export function boolean(raw: Record<string, unknown>, field: string, ctx: FieldContext, fallback: boolean): boolean {
  const v = raw[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(ctx, field, `must be true or false, got ${describeValue(v)}`);
  return v;
}

/** A per-sample shape: an array of positive integers (with at most one -1 when `allowInfer`). */
export function shapeField(raw: Record<string, unknown>, field: string, ctx: FieldContext, allowInfer = false): number[] {
  const v = raw[field];
  if (v === undefined) fail(ctx, field, 'is required (an array of positive integers)');
  if (!Array.isArray(v) || v.length === 0) fail(ctx, field, `must be a non-empty array of positive integers, got ${describeValue(v)}`);
  let inferred = 0;
  v.forEach((d: unknown, i: number) => {
    if (allowInfer && d === -1) {
      inferred++;
      if (inferred > 1) fail(ctx, `${field}[${i}]`, 'only one dimension may be -1');
      return;
    }
    if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0) {
      fail(ctx, `${field}[${i}]`, `must be a positive integer${allowInfer ? ' or -1' : ''}, got ${describeValue(d)}`);
    }
  });
  return v as number[];
}

/** A string naming one of `valid` (Keras snake_case and capitalised spellings accepted). */
export function enumName<T extends string>(
  v: unknown,
  valid: readonly T[],
  ctx: FieldContext,
  field: string,
  what: string,
  match: (s: string) => T | undefined,
): T {
  if (typeof v !== 'string') fail(ctx, field, `must be a string naming a ${what}, got ${describeValue(v)}; valid: ${valid.join(', ')}`);
  const name = match(v);
  if (name === undefined) fail(ctx, field, `unknown ${what} ${describeValue(v)}; valid: ${valid.join(', ')}`);
  return name;
}
