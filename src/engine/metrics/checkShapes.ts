import { DataShapeError } from '../errors.ts';

/** Validate a batch and return the row width of yPred. `sparse`: yTrue has one value per row. */
export function checkShapes(kind: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number, sparse: 'sparse' | 'dense' | 'either'): { width: number; sparse: boolean } {
  if (!Number.isInteger(batchSize) || batchSize < 0) throw new DataShapeError(`${kind}: batchSize must be a non-negative integer, got ${batchSize}`);
  if (batchSize === 0) {
    if (yPred.length !== 0 || yTrue.length !== 0) throw new DataShapeError(`${kind}: batchSize 0 with ${yPred.length} predictions and ${yTrue.length} labels`);
    return { width: 0, sparse: sparse === 'sparse' };
  }
  if (yPred.length % batchSize !== 0) {
    throw new DataShapeError(`${kind}: ${yPred.length} predictions do not split into ${batchSize} rows`);
  }
  const width = yPred.length / batchSize;
  const isSparse = yTrue.length === batchSize && (sparse === 'sparse' || (sparse === 'either' && width > 1));
  if (sparse === 'sparse' && yTrue.length !== batchSize) {
    throw new DataShapeError(`${kind}: expected one class index per row (${batchSize}), got ${yTrue.length} labels for predictions of shape [${batchSize}, ${width}]`);
  }
  if (!isSparse && yTrue.length !== yPred.length) {
    throw new DataShapeError(`${kind}: labels of length ${yTrue.length} and predictions of shape [${batchSize}, ${width}] do not match (need ${yPred.length}${sparse === 'either' ? ` or ${batchSize} class indices` : ''})`);
  }
  return { width, sparse: isSparse };
}

/** Index of the first maximum of row `r` of width `w`. */
export function argmaxRow(a: ArrayLike<number>, r: number, w: number): number {
  const base = r * w;
  let best = 0;
  let bv = a[base];
  for (let j = 1; j < w; j++) if (a[base + j] > bv) { bv = a[base + j]; best = j; }
  return best;
}
