/** Every layer type the spec accepts, by canonical (TensorFlow.js camelCase) name. */
import { canonicalName } from '../model/canonicalName.ts';
import { activationDef, type ActivationConfig } from './activationLayer.ts';
import { denseDef, type DenseConfig } from './dense.ts';
import { dropoutDef, type DropoutConfig } from './dropout.ts';
import { flattenDef, type FlattenConfig } from './flatten.ts';
import type { LayerDef } from './layerDef.ts';
import { rescalingDef, type RescalingConfig } from './rescaling.ts';
import { reshapeDef, type ReshapeConfig } from './reshape.ts';
import { conv2dDef, type Conv2dConfig } from './conv2d.ts';
import { conv1dDef, type Conv1dConfig } from './conv1d.ts';
import { conv2dTransposeDef, type Conv2dTransposeConfig } from './conv2dTranspose.ts';
import { maxPooling2dDef, type MaxPooling2dConfig } from './maxPooling2d.ts';
import { averagePooling2dDef, type AveragePooling2dConfig } from './averagePooling2d.ts';
import { globalAveragePooling2dDef, globalMaxPooling2dDef, type GlobalAveragePooling2dConfig, type GlobalMaxPooling2dConfig } from './globalPooling2d.ts';
import { zeroPadding2dDef, type ZeroPadding2dConfig } from './zeroPadding2d.ts';
import { upSampling2dDef, type UpSampling2dConfig } from './upSampling2d.ts';
import { batchNormalizationDef, type BatchNormalizationConfig } from './batchNormalization.ts';
import { layerNormalizationDef, type LayerNormalizationConfig } from './layerNormalization.ts';
import { simpleRnnDef, type SimpleRnnConfig } from './simpleRnn.ts';
import { lstmDef, type LstmConfig } from './lstm.ts';
import { gruDef, type GruConfig } from './gru.ts';
import { bidirectionalDef, type BidirectionalConfig } from './bidirectional.ts';
import { embeddingDef, type EmbeddingConfig } from './embedding.ts';
import { timeDistributedDef, type TimeDistributedConfig } from './timeDistributed.ts';

export type LayerConfig = DenseConfig | RescalingConfig | FlattenConfig | ReshapeConfig | DropoutConfig | ActivationConfig
  | Conv2dConfig | Conv1dConfig | Conv2dTransposeConfig | MaxPooling2dConfig | AveragePooling2dConfig
  | GlobalAveragePooling2dConfig | GlobalMaxPooling2dConfig | ZeroPadding2dConfig | UpSampling2dConfig
  | BatchNormalizationConfig | LayerNormalizationConfig
  | SimpleRnnConfig | LstmConfig | GruConfig | BidirectionalConfig | EmbeddingConfig | TimeDistributedConfig;
export type LayerType = LayerConfig['type'];

export const LAYER_DEFS: Readonly<Record<LayerType, LayerDef>> = {
  dense: denseDef as unknown as LayerDef,
  rescaling: rescalingDef as unknown as LayerDef,
  flatten: flattenDef as unknown as LayerDef,
  reshape: reshapeDef as unknown as LayerDef,
  dropout: dropoutDef as unknown as LayerDef,
  activation: activationDef as unknown as LayerDef,
  conv2d: conv2dDef as unknown as LayerDef,
  conv1d: conv1dDef as unknown as LayerDef,
  conv2dTranspose: conv2dTransposeDef as unknown as LayerDef,
  maxPooling2d: maxPooling2dDef as unknown as LayerDef,
  averagePooling2d: averagePooling2dDef as unknown as LayerDef,
  globalAveragePooling2d: globalAveragePooling2dDef as unknown as LayerDef,
  globalMaxPooling2d: globalMaxPooling2dDef as unknown as LayerDef,
  zeroPadding2d: zeroPadding2dDef as unknown as LayerDef,
  upSampling2d: upSampling2dDef as unknown as LayerDef,
  batchNormalization: batchNormalizationDef as unknown as LayerDef,
  layerNormalization: layerNormalizationDef as unknown as LayerDef,
  simpleRNN: simpleRnnDef as unknown as LayerDef,
  lstm: lstmDef as unknown as LayerDef,
  gru: gruDef as unknown as LayerDef,
  bidirectional: bidirectionalDef as unknown as LayerDef,
  embedding: embeddingDef as unknown as LayerDef,
  timeDistributed: timeDistributedDef as unknown as LayerDef,
};

export const LAYER_TYPES = Object.keys(LAYER_DEFS) as LayerType[];

export function matchLayerType(s: string): LayerType | undefined {
  return canonicalName(s, LAYER_TYPES);
}
