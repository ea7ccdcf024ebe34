export { REGULARIZER_TYPES, parseRegularizer, regularizerPenalty, applyRegularizer, setRegularizerGrad } from './regularizers.ts';
export type { RegularizerConfig, RegularizerType } from './regularizers.ts';
