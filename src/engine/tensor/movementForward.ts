/** Forward computation of movement ops: permute, slice, pad, concat (reshape needs no copy). */
import { gatherRows, scatterRows } from '../kernels/copy.ts';
import { allocFloat32 } from './storage.ts';
import { formatShape, sizeOf, stridesOf } from './shape.ts';
import { rowPlan } from './rowPlan.ts';
import type { TensorData } from './tensorData.ts';

export function permuteForward(a: TensorData, perm: readonly number[]): TensorData {
  const rank = a.shape.length;
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new Error(`permute: [${perm.join(',')}] is not a permutation of the axes of shape ${formatShape(a.shape)}`);
  }
  const inStrides = stridesOf(a.shape);
  const shape = perm.map((p) => a.shape[p]);
  const out = allocFloat32(a.data.length);
  const plan = rowPlan(shape, [perm.map((p) => inStrides[p])]);
  gatherRows(a.data, out, plan.inner, plan.offsets[0], plan.steps[0], 0, plan.rows);
  return { shape, data: out };
}

/** Copies the block starting at `begin` with extent `size` (both already validated, full rank). */
export function sliceForward(a: TensorData, begin: readonly number[], size: readonly number[]): TensorData {
  const strides = stridesOf(a.shape);
  let base = 0;
  for (let d = 0; d < begin.length; d++) base += begin[d] * strides[d];
  const out = allocFloat32(sizeOf(size));
  const plan = rowPlan(size, [strides], [base]);
  gatherRows(a.data, out, plan.inner, plan.offsets[0], plan.steps[0], 0, plan.rows);
  return { shape: size.slice(), data: out };
}

/** Zero padding; `paddings[d] = [before, after]`, non-negative, full rank. */
export function padForward(a: TensorData, paddings: readonly (readonly [number, number])[]): TensorData {
  const shape = a.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const outStrides = stridesOf(shape);
  let base = 0;
  for (let d = 0; d < shape.length; d++) base += paddings[d][0] * outStrides[d];
  const out = allocFloat32(sizeOf(shape));
  const plan = rowPlan(a.shape, [outStrides], [base]);
  scatterRows(a.data, out, plan.inner, plan.offsets[0], plan.steps[0], 0, plan.rows);
  return { shape, data: out };
}

/** Concatenation along a validated axis; the other dimensions must match. */
export function concatForward(parts: readonly TensorData[], axis: number): TensorData {
  const first = parts[0].shape;
  for (const p of parts) {
    if (p.shape.length !== first.length || p.shape.some((d, i) => i !== axis && d !== first[i])) {
      throw new Error(
        `concat: shapes ${formatShape(first)} and ${formatShape(p.shape)} differ outside axis ${axis}`,
      );
    }
  }
  const shape = first.slice();
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  const outStrides = stridesOf(shape);
  const out = allocFloat32(sizeOf(shape));
  let offset = 0;
  for (const p of parts) {
    const plan = rowPlan(p.shape, [outStrides], [offset * (outStrides[axis] ?? 1)]);
    scatterRows(p.data, out, plan.inner, plan.offsets[0], plan.steps[0], 0, plan.rows);
    offset += p.shape[axis];
  }
  return { shape, data: out };
}
