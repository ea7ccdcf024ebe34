import { DataFormatError } from './dataFormatError.ts';
import type { DataFormatLocation } from './dataFormatError.ts';

/** Check one class label: a non-negative integer, below numClasses when given. */
export function checkClassLabel(v: number, numClasses: number | undefined, at: DataFormatLocation): void {
  if (!Number.isFinite(v)) throw new DataFormatError('not_finite', `label ${v} is not finite`, at);
  if (!Number.isInteger(v)) throw new DataFormatError('bad_label', `class label ${v} is not an integer`, at);
  if (v < 0) throw new DataFormatError('bad_label', `class label ${v} is negative`, at);
  if (v > 0x7fffffff) throw new DataFormatError('bad_label', `class label ${v} is too large`, at);
  if (numClasses !== undefined && v >= numClasses) {
    throw new DataFormatError('bad_label', `class label ${v} is out of range for numClasses ${numClasses}`, at);
  }
}

/** numClasses as given, or max label + 1 (0 for no samples). */
export function inferNumClasses(y: Int32Array, numClasses: number | undefined): number {
  if (numClasses !== undefined) return numClasses;
  let max = -1;
  for (let i = 0; i < y.length; i++) if (y[i] > max) max = y[i];
  return max + 1;
}
