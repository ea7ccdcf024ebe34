/**
 * The Layer contract. A layer works on a batch stored row-major in one
 * Float32Array: shape [batch, ...sampleShape]. Shapes below are per sample
 * (no batch dimension), as in a Keras spec's `inputShape`.
 *
 * Life cycle: `build(inputShape)` fixes the output shape and declares the
 * parameters and buffers (`paramDecls`, `bufferDecls`) without allocating
 * them; the model allocates all of them in one SharedArrayBuffer and calls
 * `attach`; then `forward` / `backward` run. `backward` adds into the
 * parameters' `grad` (it never assigns) and returns the input gradient.
 *
 * Conv, recurrent and batch-norm layers slot in by implementing the same
 * interface; batch-norm's moving statistics are `buffers` (saved in
 * checkpoints, not trained).
 */
import type { Rng } from '../rng.ts';
import type { Parameter } from '../optim/types.ts';
import type { InitializerConfig } from '../init/initializers.ts';
import type { RegularizerConfig } from '../regularizers/regularizers.ts';

export interface ForwardContext {
  training: boolean;
  rng: Rng;
  /**
   * Set while another thread is still writing this step's update of the weights, front to
   * back (see Sequential.setPendingUpdate): blocks until the first `elements` values of
   * `param` (a parameter's `value`) are final. A layer that declares `awaitsParams` calls it
   * before reading each part of its weights, so it can start on the first rows while the
   * rest are being updated; for other layers the model waits for all their parameters first.
   */
  awaitParam?: (param: Float32Array, elements: number) => void;
  /**
   * With `awaitParam`, when the updating thread can say so without blocking: whether the
   * first `elements` values of `param` are final already. A layer uses it to take the parts
   * that are ready in one piece instead of one part at a time.
   */
  paramReady?: (param: Float32Array, elements: number) => boolean;
}

export interface ParamDecl {
  /** Local name: `weight`, `bias`; the model names it `layers.<i>.<name>`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly initializer: InitializerConfig;
  readonly regularizer?: RegularizerConfig;
  /** False for biases (no weight decay). */
  readonly decay: boolean;
}

export interface BufferDecl {
  readonly name: string;
  readonly shape: readonly number[];
  readonly initializer: InitializerConfig;
}

export interface LayerParameter extends Parameter {
  readonly regularizer?: RegularizerConfig;
  /**
   * Set by Sequential.computeGradients instead of zeroing `grad` when the owning layer
   * `overwritesWeightGrad`: `grad` holds stale values, and the layer's backward writes it
   * whole (rather than adding to it) and clears the flag.
   */
  gradUnset?: boolean;
}

export interface LayerBuffer {
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: Float32Array;
}

export interface Layer {
  /** Allocate scratch buffers with the model's allocator (BaseLayer implements it). */
  useMemory?(m: { allocate: (n: number) => Float32Array; release: (x: Float32Array) => void }): void;
  readonly type: string;
  /** Display name (spec `name` or Keras-style `dense_1`). */
  readonly name: string;
  /** Index in the spec's `layers` array. */
  readonly index: number;
  /** Per-sample output shape; throws if called with an input it cannot take. */
  build(inputShape: readonly number[]): number[];
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly paramDecls: readonly ParamDecl[];
  readonly bufferDecls: readonly BufferDecl[];
  readonly paramCount: number;
  /** Set by the model: views over its shared storage, in `paramDecls` order. */
  attach(params: readonly LayerParameter[], buffers: readonly LayerBuffer[]): void;
  readonly params: readonly LayerParameter[];
  readonly buffers: readonly LayerBuffer[];
  /** Returns the output batch (may be `x` itself for reshapes). The result stays valid until the next forward. */
  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array;
  /** True when `backward` writes `params[0].grad` whole while its `gradUnset` is set (saves zeroing it first). */
  readonly overwritesWeightGrad?: boolean;
  /** True when `forward` waits for its own parameters through `ctx.awaitParam` (when set). */
  readonly awaitsParams?: boolean;
  /**
   * Accumulates parameter gradients and returns dL/dx (undefined when `needInputGrad` is false).
   * With `fromLogits`, `dy` is the gradient w.r.t. the pre-activation (the loss fused the final
   * softmax/sigmoid), so the activation's own backward is skipped.
   */
  backward(dy: Float32Array, batch: number, needInputGrad: boolean, fromLogits?: boolean): Float32Array | undefined;
  /**
   * True for a layer without parameters, buffers or randomness whose every output row depends
   * only on the same input row (flatten, reshape, activation, rescaling): a batch may be
   * split by rows over threads and gives the same rows.
   */
  readonly rowwise?: boolean;
  /**
   * Deferred weight gradients (data-parallel training that splits a batch's rows for the
   * forward and backward and the output units for the weight gradients; see
   * Sequential.computeGradients' `slice.deferred`): this batch's backward without any
   * parameter gradient. Returns dL/dx (when `needInputGrad`), dz (dL/d of the
   * pre-activation output, [batch, units]) and the layer's input x ([batch, inputs]) of
   * the last forward; each row depends on the same row alone. Implemented by layers whose
   * every parameter has the output units as its leading axis (dense).
   */
  backwardInputs?(dy: Float32Array, batch: number, needInputGrad: boolean, fromLogits?: boolean): { dx: Float32Array | undefined; dz: Float32Array; x: Float32Array };
  /**
   * With `backwardInputs`: the parameter gradients of output units [j0, j1) from a whole
   * batch's dz [rows, units] and x [rows, inputs], with the float operations `backward` does
   * on the whole batch, so any split of the units gives the same gradients. Written, except
   * for a parameter with a regularizer: added onto its gradient, which the model has set to
   * the regularizer's (as it does before a whole-batch backward).
   */
  weightGradUnits?(dz: Float32Array, x: Float32Array, rows: number, j0: number, j1: number): void;
  /**
   * Tensor-parallel forward (Sequential.forwardUnits): output units [j0, j1) of the whole
   * batch's pre-activation, before the bias, into those columns of `z` ([batch, units], shared
   * between the threads), each element the same floats as the whole forward gives it. The
   * threads that own the other units fill the rest; `finishUnits` then applies the bias and
   * the activation to a range of rows (each thread its own), as this layer's last forward of
   * them. Implemented by dense.
   */
  forwardUnits?(x: Float32Array, batch: number, j0: number, j1: number, z: Float32Array): void;
  /** See `forwardUnits`: the bias and activation over `batch` rows of `z` (every unit filled; output in `a` where it writes one), as this layer's last forward of those rows (input `x`); returns the output. */
  finishUnits?(x: Float32Array, z: Float32Array, a: Float32Array, batch: number): Float32Array;
  /** Forward floating-point operations per sample. */
  flops(inputShape: readonly number[]): number;
  /** The final activation, if this layer ends in one (a loss may fuse softmax/sigmoid with it). */
  readonly outputActivation?: string;
  /** The pre-activation output of the last forward (for fused losses), when `outputActivation` is set. */
  readonly logits?: Float32Array;
}
