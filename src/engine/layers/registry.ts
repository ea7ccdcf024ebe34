/** Every layer type the spec accepts, by canonical (TensorFlow.js camelCase) name. */
import { canonicalName } from '../model/canonicalName.ts';
import { activationDef, type ActivationConfig } from './activationLayer.ts';
import { denseDef, type DenseConfig } from './dense.ts';
import { dropoutDef, type DropoutConfig } from './dropout.ts';
import { flattenDef, type FlattenConfig } from './flatten.ts';
import type { LayerDef } from './layerDef.ts';
import { rescalingDef, type RescalingConfig } from './rescaling.ts';
import { reshapeDef, type ReshapeConfig } from './reshape.ts';

export type LayerConfig = DenseConfig | RescalingConfig | FlattenConfig | ReshapeConfig | DropoutConfig | ActivationConfig;
export type LayerType = LayerConfig['type'];

export const LAYER_DEFS: Readonly<Record<LayerType, LayerDef>> = {
  dense: denseDef as unknown as LayerDef,
  rescaling: rescalingDef as unknown as LayerDef,
  flatten: flattenDef as unknown as LayerDef,
  reshape: reshapeDef as unknown as LayerDef,
  dropout: dropoutDef as unknown as LayerDef,
  activation: activationDef as unknown as LayerDef,
};

export const LAYER_TYPES = Object.keys(LAYER_DEFS) as LayerType[];

export function matchLayerType(s: string): LayerType | undefined {
  return canonicalName(s, LAYER_TYPES);
}
