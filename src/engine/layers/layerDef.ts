/**
 * What the spec validator, the static summary and the model need to know
 * about one layer type, without allocating anything.
 */
import type { FieldContext } from '../model/fields.ts';
import type { Layer, ParamDecl, BufferDecl } from './types.ts';
import type { LayerEnv } from './layerEnv.ts';

export interface LayerConfigBase {
  type: string;
  /** Display name; defaults to Keras-style `dense`, `dense_1`... */
  name: string;
}

export interface LayerDef<C extends LayerConfigBase = LayerConfigBase> {
  readonly type: C['type'];
  /** Fields the spec may set besides `type` and `name`. */
  readonly fields: readonly string[];
  /** Validates the raw JSON fields (already known to be an object with a valid type). */
  parse(raw: Record<string, unknown>, ctx: FieldContext, name: string): C;
  /** Per-sample output shape; throws a SpecError naming the shapes when the input does not fit. */
  outputShape(inputShape: readonly number[], config: C, ctx: FieldContext): number[];
  paramDecls(inputShape: readonly number[], config: C): ParamDecl[];
  bufferDecls?(inputShape: readonly number[], config: C): BufferDecl[];
  /** Forward FLOPs per sample. */
  flops(inputShape: readonly number[], config: C): number;
  create(config: C, index: number, env?: LayerEnv): Layer;
}
