/**
 * What the backward walker and the rule table need from a tensor. `Tensor` implements it;
 * declaring it here keeps autograd.ts and backwardRules.ts free of any import of tensor.ts,
 * so the module graph has no cycle (not even a type-only one).
 */
import type { OpContext, PrimitiveOp } from './opContext.ts';

export type GradOperand = GradTensor | number;

export interface GradTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  readonly requiresGrad: boolean;
  readonly op: PrimitiveOp | null;
  readonly inputs: readonly GradTensor[];
  readonly ctx: OpContext;
  add(other: GradOperand): GradTensor;
  mul(other: GradOperand): GradTensor;
  div(other: GradOperand): GradTensor;
  neg(): GradTensor;
  exp(): GradTensor;
  eq(other: GradOperand): GradTensor;
  select(a: GradOperand, b: GradOperand): GradTensor;
  sum(axes?: number | readonly number[], keepDims?: boolean): GradTensor;
  reshape(shape: readonly number[]): GradTensor;
  expand(shape: readonly number[]): GradTensor;
  permute(perm: readonly number[]): GradTensor;
  slice(begin: readonly number[], size?: readonly number[]): GradTensor;
  narrow(axis: number, start: number, length: number): GradTensor;
  pad(paddings: readonly (readonly [number, number])[]): GradTensor;
  matmul(other: GradTensor, transposeA?: boolean, transposeB?: boolean): GradTensor;
  /** Leaves only: add `g` into the gradient buffer in place. */
  accumulateGrad(g: GradTensor): void;
}
