import { DataFormatError } from './dataFormatError.ts';
import { checkClassLabel } from './classLabel.ts';

/**
 * How many samples each class has, from class-index labels. The result has
 * `numClasses` entries (or max label + 1). Throws `bad_label` for a negative,
 * non-integer or out-of-range label.
 */
export function classCounts(y: ArrayLike<number>, numClasses?: number): number[] {
  if (numClasses !== undefined && (!Number.isInteger(numClasses) || numClasses < 0)) {
    throw new DataFormatError('bad_label', `numClasses must be a non-negative integer, got ${numClasses}`);
  }
  let max = -1;
  for (let i = 0; i < y.length; i++) {
    checkClassLabel(y[i], numClasses, { row: i });
    if (y[i] > max) max = y[i];
  }
  const counts = new Array<number>(numClasses ?? max + 1).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]] += 1;
  return counts;
}
