export { REGULARIZER_TYPES, parseRegularizer, regularizerPenalty, applyRegularizer } from './regularizers.ts';
export type { RegularizerConfig, RegularizerType } from './regularizers.ts';
