/** The names of the primitives the tape records, and what each keeps for its backward rule. */
export type PrimitiveOp =
  | 'add' | 'mul' | 'div' | 'neg' | 'exp' | 'log' | 'log1p' | 'sqrt'
  | 'sigmoid' | 'tanh' | 'erf' | 'where' | 'sum' | 'max'
  | 'reshape' | 'permute' | 'expand' | 'slice' | 'pad' | 'concat' | 'matmul';

export interface OpContext {
  /** sum/max: reduced axes and the input shape with those axes kept as 1. */
  axes?: number[];
  keptShape?: number[];
  /** permute */
  perm?: number[];
  /** slice */
  begin?: number[];
  size?: number[];
  /** pad */
  paddings?: [number, number][];
  /** concat */
  axis?: number;
  offsets?: number[];
  /** matmul */
  transposeA?: boolean;
  transposeB?: boolean;
}
