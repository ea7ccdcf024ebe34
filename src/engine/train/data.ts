/**
 * Inputs and labels as fit / evaluate / predict accept them: a `{ data, shape }`
 * pair over any numeric typed array (shape[0] is the number of samples; a
 * Uint8Array of pixels is converted batch by batch, never as a whole), or
 * nested number arrays. Batches are gathered into reusable Float32Arrays.
 */
import { DataShapeError } from '../errors.ts';
import { describeShape } from '../model/describe.ts';

export type NumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray
  | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface TensorLike {
  readonly data: NumericArray;
  readonly shape: readonly number[];
}

export type NestedNumbers = number | NestedNumbers[];
export type DataInput = TensorLike | NestedNumbers[];

export interface Dataset {
  readonly data: NumericArray;
  /** Full shape, shape[0] = samples. */
  readonly shape: readonly number[];
  readonly count: number;
  /** Values per sample. */
  readonly size: number;
}

export function toDataset(input: DataInput, what: string): Dataset {
  if (Array.isArray(input)) {
    const shape: number[] = [];
    let probe: NestedNumbers = input;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    const flat = (input as unknown[]).flat(Infinity) as number[];
    let n = 1;
    for (const d of shape) n *= d;
    if (flat.length !== n) throw new DataShapeError(`${what}: ragged nested array (shape ${describeShape(shape)} needs ${n} values, got ${flat.length})`);
    return dataset(Float32Array.from(flat), shape, what);
  }
  if (!input || !ArrayBuffer.isView(input.data) || !Array.isArray(input.shape)) {
    throw new DataShapeError(`${what}: expected { data: TypedArray, shape: number[] } or a nested number array`);
  }
  return dataset(input.data, input.shape, what);
}

function dataset(data: NumericArray, shape: readonly number[], what: string): Dataset {
  if (shape.length === 0) throw new DataShapeError(`${what}: shape must have a sample dimension, got []`);
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new DataShapeError(`${what}: invalid shape ${describeShape(shape)}`);
    n *= d;
  }
  if (data.length !== n) throw new DataShapeError(`${what}: shape ${describeShape(shape)} needs ${n} values, the data has ${data.length}`);
  return { data, shape: [...shape], count: shape[0], size: shape[0] === 0 ? 0 : n / shape[0] };
}

/** How many of `count` samples fit trains on with `validationSplit` (the rest, at the end, validate). */
export function trainingCount(count: number, validationSplit: number): number {
  return validationSplit > 0 ? Math.floor(count * (1 - validationSplit)) : count;
}

/** Samples [start, end) of a dataset, without copying. */
export function sliceDataset(d: Dataset, start: number, end: number): Dataset {
  return {
    data: d.data.subarray(start * d.size, end * d.size) as NumericArray,
    shape: [end - start, ...d.shape.slice(1)],
    count: end - start,
    size: d.size,
  };
}

/** Copies samples `indices[from..from+n)` of `d` into `out` (converted to float32). */
export function gather(d: Dataset, indices: Int32Array | null, from: number, n: number, out: Float32Array): void {
  const size = d.size;
  if (indices === null) {
    const src = d.data.subarray(from * size, (from + n) * size);
    out.set(src);
    return;
  }
  if (size <= 8) {
    // Labels and other short rows element by element: a subarray per row would be an object
    // per sample per step for the GC (most of what a training step allocates).
    const data = d.data;
    for (let b = 0; b < n; b++) {
      const src = indices[from + b] * size;
      for (let j = 0; j < size; j++) out[b * size + j] = data[src + j];
    }
    return;
  }
  for (let b = 0; b < n; b++) {
    const i = indices[from + b];
    out.set(d.data.subarray(i * size, (i + 1) * size), b * size);
  }
}
