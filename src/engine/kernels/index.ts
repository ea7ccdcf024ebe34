export { matmulRows, matmulRowsNT, matmulRowsTN, matmulRowsTNAcc, matmulRowsTT } from './matmul.ts';
export type { MatmulKernel, StridedMatmulKernel } from './matmul.ts';
export { unaryRange, binaryRange, binaryRows, whereRows } from './elementwise.ts';
export type { UnaryOp, BinaryOp } from './elementwise.ts';
export { sumAxisRange, maxAxisRange, argmaxAxisRange } from './reduce.ts';
export { gatherRows, scatterRows } from './copy.ts';
export { erf } from './erf.ts';
