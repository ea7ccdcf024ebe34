export { meanSquaredError } from './meanSquaredError.ts';
export { meanAbsoluteError } from './meanAbsoluteError.ts';
export { binaryCrossentropy } from './binaryCrossentropy.ts';
export { categoricalCrossentropy } from './categoricalCrossentropy.ts';
export { sparseCategoricalCrossentropy } from './sparseCategoricalCrossentropy.ts';
export { losses, lossAliases, lossName, resolveLoss } from './registry.ts';
export type { LossName } from './registry.ts';
export type { LossFn, LossOptions } from './lossTypes.ts';
export { EPSILON } from './epsilon.ts';
