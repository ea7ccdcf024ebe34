export type { Layer, ForwardContext, ParamDecl, BufferDecl, LayerParameter, LayerBuffer } from './types.ts';
export type { LayerDef, LayerConfigBase } from './layerDef.ts';
export { BaseLayer, Scratch, sizeOfShape } from './baseLayer.ts';
export { Dense, denseDef } from './dense.ts';
export type { DenseConfig } from './dense.ts';
export { Rescaling, rescalingDef } from './rescaling.ts';
export type { RescalingConfig } from './rescaling.ts';
export { Flatten, flattenDef } from './flatten.ts';
export type { FlattenConfig } from './flatten.ts';
export { Reshape, reshapeDef } from './reshape.ts';
export type { ReshapeConfig } from './reshape.ts';
export { Dropout, dropoutDef } from './dropout.ts';
export type { DropoutConfig } from './dropout.ts';
export { ActivationLayer, activationDef } from './activationLayer.ts';
export type { ActivationConfig } from './activationLayer.ts';
export { LAYER_DEFS, LAYER_TYPES, matchLayerType } from './registry.ts';
export { simpleRnnDef } from './simpleRnn.ts';
export type { SimpleRnnConfig } from './simpleRnn.ts';
export { lstmDef } from './lstm.ts';
export type { LstmConfig } from './lstm.ts';
export { gruDef } from './gru.ts';
export type { GruConfig } from './gru.ts';
export { RecurrentLayer } from './recurrentLayer.ts';
export type { RecurrentConfig, RecurrentKind } from './recurrentFields.ts';
export { Bidirectional, bidirectionalDef, MERGE_MODES } from './bidirectional.ts';
export type { BidirectionalConfig, MergeMode } from './bidirectional.ts';
export { Embedding, embeddingDef } from './embedding.ts';
export type { EmbeddingConfig } from './embedding.ts';
export { TimeDistributed, timeDistributedDef } from './timeDistributed.ts';
export type { TimeDistributedConfig } from './timeDistributed.ts';
export { PLAIN_KERNELS, DEFAULT_LAYER_ENV } from './layerEnv.ts';
export type { LayerEnv, MatmulKernelSet } from './layerEnv.ts';
export type { LayerConfig, LayerType } from './registry.ts';
export {
  ACTIVATIONS as LAYER_ACTIVATIONS, ACTIVATION_FLOPS, LEAKY_RELU_ALPHA, ELU_ALPHA,
  activationForward, activationBackward, matchActivation, softmaxRows,
} from './activations.ts';
export type { ActivationName as LayerActivationName } from './activations.ts';
