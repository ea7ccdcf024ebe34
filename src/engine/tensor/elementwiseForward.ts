/** Forward computation of elementwise ops on raw tensor data: validate, allocate, run a kernel. */
import { binaryRange, binaryRows, unaryRange, whereRows } from '../kernels/elementwise.ts';
import type { BinaryOp, UnaryOp } from '../kernels/elementwise.ts';
import { gatherRows } from '../kernels/copy.ts';
import { allocFloat32 } from './storage.ts';
import { broadcastShapes, formatShape, shapesEqual, sizeOf } from './shape.ts';
import { broadcastStrides, rowPlan } from './rowPlan.ts';
import type { TensorData } from './tensorData.ts';

export function unaryForward(op: UnaryOp, a: TensorData): TensorData {
  const out = allocFloat32(a.data.length);
  unaryRange(op, a.data, out, 0, out.length);
  return { shape: a.shape.slice(), data: out };
}

export function binaryForward(op: BinaryOp, a: TensorData, b: TensorData): TensorData {
  if (shapesEqual(a.shape, b.shape)) {
    const out = allocFloat32(a.data.length);
    binaryRange(op, a.data, b.data, out, 0, out.length);
    return { shape: a.shape.slice(), data: out };
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocFloat32(sizeOf(shape));
  const plan = rowPlan(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)]);
  binaryRows(op, a.data, b.data, out, plan.inner,
    plan.offsets[0], plan.steps[0], plan.offsets[1], plan.steps[1], 0, plan.rows);
  return { shape, data: out };
}

export function whereForward(cond: TensorData, a: TensorData, b: TensorData): TensorData {
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const out = allocFloat32(sizeOf(shape));
  const plan = rowPlan(shape, [cond.shape, a.shape, b.shape].map((s) => broadcastStrides(s, shape)));
  whereRows(cond.data, a.data, b.data, out, plan.inner,
    plan.offsets[0], plan.steps[0], plan.offsets[1], plan.steps[1], plan.offsets[2], plan.steps[2],
    0, plan.rows);
  return { shape, data: out };
}

export function expandForward(a: TensorData, shape: readonly number[]): TensorData {
  const target = broadcastShapes('expand', a.shape, shape);
  if (!shapesEqual(target, shape)) {
    throw new Error(`expand: shape ${formatShape(a.shape)} cannot be expanded to ${formatShape(shape)}`);
  }
  const out = allocFloat32(sizeOf(target));
  const plan = rowPlan(target, [broadcastStrides(a.shape, target)]);
  gatherRows(a.data, out, plan.inner, plan.offsets[0], plan.steps[0], 0, plan.rows);
  return { shape: target, data: out };
}
