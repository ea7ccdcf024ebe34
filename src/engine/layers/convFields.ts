/**
 * Spec fields and shape arithmetic shared by the convolution and pooling layers
 * (Keras semantics, channels-last).
 *
 * Output length along one axis of length L, kernel k, stride s, dilation d
 * (effective kernel dk = (k − 1)·d + 1):
 *   valid:  floor((L − dk) / s) + 1, no padding;
 *   same:   ceil(L / s), padding total = max((out − 1)·s + dk − L, 0), of which
 *           floor(total / 2) goes before and the rest after (TensorFlow: the extra one
 *           at the bottom / right);
 *   causal (conv1d): L (stride 1) with all (dk − 1) padding before.
 */
import { canonicalName } from '../model/canonicalName.ts';
import { describeShape, describeValue } from '../model/describe.ts';
import { enumName, fail, type FieldContext } from '../model/fields.ts';

export type Padding = 'valid' | 'same' | 'causal';

export interface AxisGeometry {
  readonly out: number;
  readonly padBefore: number;
}

/** A positive integer or a pair of them: `3` → [3, 3], `[3, 5]` → [3, 5]. */
export function intPair(raw: Record<string, unknown>, field: string, ctx: FieldContext, fallback?: readonly [number, number]): [number, number] {
  const v = raw[field];
  if ((v === undefined || v === null) && fallback) return [fallback[0], fallback[1]];
  if (v === undefined || v === null) fail(ctx, field, 'is required (a positive integer or [height, width])');
  const ok = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d > 0;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  return fail(ctx, field, `must be a positive integer or a pair [height, width] of them, got ${describeValue(v)}`);
}

/** A positive integer, or a one-element array of one (Keras accepts `(3,)` for conv1d). */
export function intSingle(raw: Record<string, unknown>, field: string, ctx: FieldContext, fallback?: number): number {
  const v = raw[field];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (v === undefined || v === null) fail(ctx, field, 'is required (a positive integer)');
  const ok = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d > 0;
  if (ok(v)) return v;
  if (Array.isArray(v) && v.length === 1 && ok(v[0])) return v[0];
  return fail(ctx, field, `must be a positive integer, got ${describeValue(v)}`);
}

export function paddingField(raw: Record<string, unknown>, ctx: FieldContext, allowed: readonly Padding[] = ['valid', 'same']): Padding {
  const v = raw.padding;
  if (v === undefined || v === null) return 'valid';
  return enumName(v, allowed, ctx, 'padding', 'padding mode', (s) => canonicalName(s, allowed));
}

/** Output length and padding before, for one axis; undefined when the (valid) window does not fit. */
export function axisGeometry(length: number, kernel: number, stride: number, dilation: number, padding: Padding): AxisGeometry | undefined {
  const dk = (kernel - 1) * dilation + 1;
  if (padding === 'valid') {
    if (length < dk) return undefined;
    return { out: Math.floor((length - dk) / stride) + 1, padBefore: 0 };
  }
  if (padding === 'causal') return { out: Math.floor((length - 1) / stride) + 1, padBefore: dk - 1 };
  const out = Math.ceil(length / stride);
  const total = Math.max((out - 1) * stride + dk - length, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/** Checks a rank-3 [height, width, channels] input and names the fix when it is not one. */
export function requireImage(inputShape: readonly number[], type: string, ctx: FieldContext): [number, number, number] {
  if (inputShape.length !== 3) {
    const hint = inputShape.length === 2 ? `; add { "type": "reshape", "targetShape": [${inputShape.join(', ')}, 1] } before it` : '';
    fail(ctx, undefined, `(${type}): expects input of rank 3 [height, width, channels] but gets shape ${describeShape(inputShape)}${hint}`);
  }
  return [inputShape[0], inputShape[1], inputShape[2]];
}

/** Geometry of both axes of an image, or a SpecError naming the shapes when the window does not fit. */
export function imageAxes(
  inputShape: readonly number[], kernel: readonly [number, number], strides: readonly [number, number],
  dilation: readonly [number, number], padding: Padding, type: string, ctx: FieldContext, what = 'kernelSize',
): [AxisGeometry, AxisGeometry] {
  const [h, w] = requireImage(inputShape, type, ctx);
  const gh = axisGeometry(h, kernel[0], strides[0], dilation[0], padding);
  const gw = axisGeometry(w, kernel[1], strides[1], dilation[1], padding);
  if (!gh || !gw) {
    const dil = dilation[0] > 1 || dilation[1] > 1 ? ` with dilationRate ${describeShape(dilation)}` : '';
    fail(ctx, what, `${describeShape(kernel)}${dil} is larger than the input ${describeShape(inputShape)} with padding "valid"; use a smaller ${what} or padding "same"`);
  }
  return [gh, gw];
}
