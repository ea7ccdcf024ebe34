/**
 * Validates a model spec by hand and normalises it (canonical names, defaults
 * filled in), following shapes through the layers. Throws a `SpecError` on the
 * first problem, naming the layer index, the field and the shapes involved:
 *   `layers[1].units: must be a positive integer, got -3`
 *   `layers[2] (dense): expects input of rank 1 but gets shape [28,28]; add a flatten layer before it`
 */
import { SpecError } from '../errors.ts';
import { LAYER_DEFS, LAYER_TYPES, matchLayerType, type LayerConfig } from '../layers/registry.ts';
import { describeValue } from './describe.ts';
import { checkKnownFields, fail, isRecord, shapeField, type FieldContext } from './fields.ts';
import type { NormalizedSpec } from './spec.ts';

export interface ValidatedSpec {
  spec: NormalizedSpec;
  /** Output shape of each layer (per sample). */
  shapes: number[][];
}

export const MAX_LAYERS = 1000;

export function validateSpec(raw: unknown): ValidatedSpec {
  if (!isRecord(raw)) throw new SpecError('spec', `must be an object with "inputShape" and "layers", got ${describeValue(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!['inputShape', 'layers', 'name'].includes(key)) {
      throw new SpecError(key, 'unknown field in the model spec; valid fields are "inputShape", "layers", "name"');
    }
  }
  const top: FieldContext = { path: '' };
  const layersRaw = raw.layers;
  // Keras / TF.js idiom: the first layer may carry the input shape instead of the spec.
  const first0: unknown = Array.isArray(layersRaw) ? layersRaw[0] : undefined;
  const first = isRecord(first0) ? camelizeKeys(first0, { path: 'layers[0]', layerIndex: 0 }) : undefined;
  const firstShape = first && first.inputShape !== undefined
    ? [...shapeField(first, 'inputShape', { path: 'layers[0]', layerIndex: 0 })]
    : undefined;
  const inputShape = raw.inputShape === undefined && firstShape ? firstShape : [...shapeField(raw, 'inputShape', top)];
  if (firstShape && (firstShape.length !== inputShape.length || firstShape.some((d, i) => d !== inputShape[i]))) {
    throw new SpecError('layers[0].inputShape', `[${firstShape.join(',')}] disagrees with the spec's inputShape [${inputShape.join(',')}]`, 0);
  }
  if (raw.name !== undefined && typeof raw.name !== 'string') throw new SpecError('name', `must be a string, got ${describeValue(raw.name)}`);
  if (!Array.isArray(layersRaw)) throw new SpecError('layers', `must be an array of layer objects, got ${describeValue(layersRaw)}`);
  if (layersRaw.length === 0) throw new SpecError('layers', 'must contain at least one layer');
  if (layersRaw.length > MAX_LAYERS) throw new SpecError('layers', `must contain at most ${MAX_LAYERS} layers, got ${layersRaw.length}`);

  const layers: LayerConfig[] = [];
  const shapes: number[][] = [];
  const typeCounts = new Map<string, number>();
  const names = new Set<string>();
  let shape = inputShape;
  layersRaw.forEach((original: unknown, i: number) => {
    const ctx: FieldContext = { path: `layers[${i}]`, layerIndex: i };
    if (!isRecord(original)) fail(ctx, undefined, `must be an object with a "type", got ${describeValue(original)}`);
    const layerRaw = camelizeKeys(original, ctx);
    if (typeof layerRaw.type !== 'string') fail(ctx, 'type', `is required: one of ${LAYER_TYPES.join(', ')}`);
    const type = matchLayerType(layerRaw.type);
    if (type === undefined) fail(ctx, 'type', `unknown layer type ${describeValue(layerRaw.type)}; valid types are ${LAYER_TYPES.join(', ')}`);
    const def = LAYER_DEFS[type];
    if (i > 0 && layerRaw.inputShape !== undefined) fail(ctx, 'inputShape', 'only the first layer may set inputShape');
    checkKnownFields(layerRaw, ['type', 'name', ...(i === 0 ? ['inputShape'] : []), ...def.fields], ctx, `a ${type} layer`);
    const count = typeCounts.get(type) ?? 0;
    typeCounts.set(type, count + 1);
    let name = count === 0 ? snake(type) : `${snake(type)}_${count}`;
    if (layerRaw.name !== undefined) {
      if (typeof layerRaw.name !== 'string' || layerRaw.name.length === 0) fail(ctx, 'name', `must be a non-empty string, got ${describeValue(layerRaw.name)}`);
      name = layerRaw.name;
    }
    if (names.has(name)) fail(ctx, 'name', `duplicate layer name ${describeValue(name)}`);
    names.add(name);
    const cfg = def.parse(layerRaw, ctx, name) as LayerConfig;
    shape = def.outputShape(shape, cfg, ctx);
    layers.push(cfg);
    shapes.push(shape);
  });
  const spec: NormalizedSpec = { inputShape, layers };
  if (typeof raw.name === 'string') spec.name = raw.name;
  return { spec, shapes };
}

/**
 * Keras's snake_case field names (`use_bias`, `kernel_initializer`, `target_shape`) are
 * accepted as their camelCase (TensorFlow.js) spelling; giving both is an error.
 */
function camelizeKeys(raw: Record<string, unknown>, ctx: FieldContext): Record<string, unknown> {
  if (!Object.keys(raw).some((k) => k.includes('_'))) return raw;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const camel = k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    if (camel !== k && camel in raw) fail(ctx, k, `duplicates "${camel}"; give one of them`);
    out[camel] = v;
  }
  return out;
}

/** `maxPooling2d` → `max_pooling2d` (Keras's default layer names). */
function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
