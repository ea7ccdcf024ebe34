export { REGULARIZER_TYPES, parseRegularizer, regularizerPenalty, applyRegularizer, addRegularizerGrad } from './regularizers.ts';
export type { RegularizerConfig, RegularizerType } from './regularizers.ts';
