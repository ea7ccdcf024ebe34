/** Forward computation of reductions (sum, max, argmax) over sets of axes. */
import { argmaxAxisRange, maxAxisRange, sumAxisRange } from '../kernels/reduce.ts';
import { allocFloat32 } from './storage.ts';
import { formatShape, reducedShape, sizeOf } from './shape.ts';
import type { TensorData } from './tensorData.ts';

/** Reduces sorted, unique `axes`; runs of adjacent axes are reduced in one pass. */
export function reduceForward(
  op: 'sum' | 'max', a: TensorData, axes: readonly number[], keepDims: boolean,
): TensorData {
  let shape = a.shape.slice();
  let data = a.data;
  // Reduce from the last run backwards so earlier axis numbers stay valid.
  let i = axes.length - 1;
  while (i >= 0) {
    let j = i;
    while (j > 0 && axes[j - 1] === axes[j] - 1) j--;
    const first = axes[j];
    const last = axes[i];
    const outer = sizeOf(shape.slice(0, first));
    const len = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    if (op === 'max' && len === 0) {
      throw new Error(`max: cannot reduce an empty axis of shape ${formatShape(a.shape)}`);
    }
    const out = allocFloat32(outer * inner);
    if (op === 'sum') sumAxisRange(data, out, len, inner, 0, outer);
    else maxAxisRange(data, out, len, inner, 0, outer);
    data = out;
    shape = [...shape.slice(0, first), ...new Array<number>(last - first + 1).fill(1), ...shape.slice(last + 1)];
    i = j - 1;
  }
  if (data === a.data) {
    data = allocFloat32(a.data.length);
    data.set(a.data);
  }
  return { shape: reducedShape(a.shape, axes, keepDims), data };
}

export function argmaxForward(a: TensorData, axis: number): TensorData {
  const outer = sizeOf(a.shape.slice(0, axis));
  const len = a.shape[axis];
  const inner = sizeOf(a.shape.slice(axis + 1));
  if (len === 0) throw new Error(`argmax: cannot reduce an empty axis of shape ${formatShape(a.shape)}`);
  const out = allocFloat32(outer * inner);
  argmaxAxisRange(a.data, out, len, inner, 0, outer);
  return { shape: reducedShape(a.shape, [axis], false), data: out };
}
