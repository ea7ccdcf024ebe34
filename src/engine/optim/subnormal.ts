/**
 * Optimizer state that decays (Adam's moments, momentum buffers, RMSprop's averages) turns
 * subnormal for weights whose gradient stays 0, e.g. those fed by an always-black pixel.
 * Neither WebAssembly nor JavaScript can set the CPU's flush-to-zero mode, and Intel cores
 * take a microcode assist for every subnormal operand or result, so the optimizers store
 * such values as +0 instead (as TensorFlow's CPU threads flush them). Measured on
 * Fashion-MNIST: 4-7% of the first layer's Adam moments went subnormal after ~800 steps, and
 * the Adam kernel over that state ran 5-6x slower. A flushed value is below 1.2e-38: the
 * update it would have made is below lr * 1e-30.
 */

/** The smallest normal float32, 2^-126: anything smaller in magnitude, but 0, is subnormal. */
export const MIN_NORMAL_F32 = 2 ** -126;

/** `x`, or +0 when `|x|` is under the smallest normal float32 (the wasm kernels' compare-and-mask). */
export function flushSubnormal(x: number): number {
  return Math.abs(x) < MIN_NORMAL_F32 ? 0 : x;
}
