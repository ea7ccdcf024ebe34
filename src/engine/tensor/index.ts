export { Tensor } from './tensor.ts';
export type { TensorOrNumber, TensorOptions, NestedArray } from './tensor.ts';
export type { TensorData } from './tensorData.ts';
export { noGrad, isGradEnabled } from './gradMode.ts';
export { allocFloat32, sharedCopy } from './storage.ts';
export { broadcastShapes, formatShape, sizeOf, stridesOf } from './shape.ts';
export { backwardRules } from './backwardRules.ts';
export type { BackwardRule } from './backwardRules.ts';
export type { PrimitiveOp, OpContext } from './opContext.ts';
