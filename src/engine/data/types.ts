/**
 * The common in-memory shape every reader produces: `count` samples of
 * `sampleShape` laid out row-major in `x`, and their labels in `y`.
 *
 * - class labels (`labels: 'classes'`, the default): `y` is an Int32Array of
 *   class indices, `labelShape` is `[]`, `numClasses` is given or max + 1;
 * - value labels (`labels: 'values'`: regression targets, one-hot rows):
 *   `y` is a Float32Array and `labelShape` the shape of one label.
 */
export interface Dataset {
  x: Float32Array;
  sampleShape: number[];
  count: number;
  y: Float32Array | Int32Array;
  labelShape: number[];
  numClasses?: number;
}

/** Memory bounds a reader enforces while reading (DataFormatError `limit_exceeded`). */
export interface ReadLimits {
  /**
   * Maximum bytes: both the input consumed and the output arrays allocated
   * (x + y) must stay within it. Default: unlimited.
   */
  maxBytes?: number;
  /** Maximum number of samples. Default: unlimited. */
  maxSamples?: number;
}

export interface LabelOptions {
  /** `classes` (default): non-negative integer class indices. `values`: any finite numbers. */
  labels?: 'classes' | 'values';
  /** With class labels: labels must be < numClasses; also reported on the Dataset. */
  numClasses?: number;
}

export type DataFormatCode =
  | 'gzip'
  | 'bad_magic'
  | 'bad_header'
  | 'unsupported'
  | 'truncated'
  | 'trailing_bytes'
  | 'ragged'
  | 'empty_cell'
  | 'bad_quote'
  | 'not_numeric'
  | 'not_finite'
  | 'count_mismatch'
  | 'bad_label'
  | 'missing_column'
  | 'bad_json'
  | 'limit_exceeded';
