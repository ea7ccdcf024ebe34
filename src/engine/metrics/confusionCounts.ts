import { checkShapes } from './checkShapes.ts';

export interface ConfusionCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/**
 * Keras' element-wise confusion counts at one threshold: an element is
 * predicted positive when `yPred > threshold` and is positive when yTrue is
 * non-zero. Class-index labels (one per row, width > 1) are one-hot encoded
 * first. With `classId`, only that column counts.
 */
export function confusionCounts(
  kind: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number,
  threshold: number, classId: number | undefined, into: ConfusionCounts,
): void {
  const { width, sparse } = checkShapes(kind, yTrue, yPred, batchSize, 'either');
  if (classId !== undefined && !(classId >= 0 && classId < width)) {
    throw new RangeError(`${kind}: classId ${classId} is out of range for predictions of width ${width}`);
  }
  const j0 = classId ?? 0;
  const j1 = classId === undefined ? width : classId + 1;
  for (let r = 0; r < batchSize; r++) {
    for (let j = j0; j < j1; j++) {
      const i = r * width + j;
      const pos = sparse ? yTrue[r] === j : yTrue[i] !== 0;
      const pred = yPred[i] > threshold;
      if (pred) {
        if (pos) into.tp++;
        else into.fp++;
      } else if (pos) into.fn++;
      else into.tn++;
    }
  }
}
