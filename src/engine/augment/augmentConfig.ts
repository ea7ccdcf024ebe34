/**
 * The `augment` fit option, validated: every problem is a SpecError naming the field
 * (`augment.rotate: must be >= 0, got -5`).
 *
 *   { "flipHorizontal": true, "translate": 0.1, "rotate": 10, "cropPadding": 4, "noise": 0.05 }
 *
 * - flipHorizontal / flipVertical: mirror each sample with probability 1/2;
 * - translate: maximum shift, a fraction of the height / width when < 1 (0.1 of 28 → up to
 *   2 pixels), else a whole number of pixels; a pair [rows, cols] gives each axis its own;
 *   each sample shifts by a whole number of pixels drawn uniformly in [−max, max], filling 0;
 * - rotate: maximum angle in degrees (0..180); each sample turns by a uniform angle in
 *   [−rotate, rotate] about its centre, bilinear, filling 0;
 * - cropPadding: pad every side by this many zero pixels and crop back at a random offset
 *   (a shift in [−p, p] along each axis, added to the translation);
 * - noise: stddev of Gaussian noise added to every value, in the input's own units (raw
 *   pixels 0..255 when a rescaling layer comes first).
 */
import { SpecError } from '../errors.ts';
import { describeValue } from '../model/describe.ts';
import { boolean, checkKnownFields, finiteNumber, isRecord, type FieldContext } from '../model/fields.ts';

export interface AugmentOptions {
  flipHorizontal?: boolean;
  flipVertical?: boolean;
  translate?: number | [number, number];
  rotate?: number;
  cropPadding?: number;
  noise?: number;
}

export interface AugmentConfig {
  readonly flipHorizontal: boolean;
  readonly flipVertical: boolean;
  /** Maximum shift per axis, as given: a fraction (< 1) or pixels. */
  readonly translate: readonly [number, number];
  readonly rotate: number;
  readonly cropPadding: number;
  readonly noise: number;
}

export const AUGMENT_FIELDS = ['flipHorizontal', 'flipVertical', 'translate', 'rotate', 'cropPadding', 'noise'] as const;

function translateAmount(v: unknown, ctx: FieldContext, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new SpecError(`${ctx.path}.${field}`, `must be a non-negative number (a fraction < 1 or whole pixels), got ${describeValue(v)}`);
  if (v >= 1 && !Number.isInteger(v)) throw new SpecError(`${ctx.path}.${field}`, `must be a fraction < 1 or a whole number of pixels, got ${v}`);
  return v;
}

export function parseAugmentConfig(raw: unknown, path = 'augment'): AugmentConfig {
  const ctx: FieldContext = { path };
  if (!isRecord(raw)) throw new SpecError(path, `must be an object with some of ${AUGMENT_FIELDS.join(', ')}, got ${describeValue(raw)}`);
  checkKnownFields(raw, AUGMENT_FIELDS, ctx, 'augment');
  let translate: [number, number] = [0, 0];
  const t = raw.translate;
  if (Array.isArray(t)) {
    if (t.length !== 2) throw new SpecError(`${path}.translate`, `must be a number or a pair [rows, cols], got ${describeValue(t)}`);
    translate = [translateAmount(t[0], ctx, 'translate[0]'), translateAmount(t[1], ctx, 'translate[1]')];
  } else if (t !== undefined) {
    const v = translateAmount(t, ctx, 'translate');
    translate = [v, v];
  }
  const cropPadding = finiteNumber(raw, 'cropPadding', ctx, 0, { min: 0 });
  if (!Number.isInteger(cropPadding)) throw new SpecError(`${path}.cropPadding`, `must be a whole number of pixels, got ${cropPadding}`);
  return {
    flipHorizontal: boolean(raw, 'flipHorizontal', ctx, false),
    flipVertical: boolean(raw, 'flipVertical', ctx, false),
    translate,
    rotate: finiteNumber(raw, 'rotate', ctx, 0, { min: 0, max: 180 }),
    cropPadding,
    noise: finiteNumber(raw, 'noise', ctx, 0, { min: 0 }),
  };
}
