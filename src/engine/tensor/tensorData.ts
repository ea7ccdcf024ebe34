/**
 * The raw form every forward op works on: a row-major shape and its contiguous data.
 * `Tensor` satisfies it, so forward ops need not import the class.
 */
export interface TensorData {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}
