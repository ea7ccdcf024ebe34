/**
 * Deferred weight gradients: the seam for data-parallel training that splits a batch by rows
 * for the forward and the backward to the inputs (`computeGradients` with `slice.deferred`),
 * and by output units for the weight gradients (`Sequential.deferredWeightGrads`) and the
 * optimizer update after them. Each row's forward and backward depend on that row alone and
 * each unit's weight gradient is one product over all the batch's rows, so every split of the
 * rows and of the units gives the same gradients, bit for bit, as one thread on the whole
 * batch: a caller may choose the splits as it likes (by each thread's measured speed).
 *
 * A model can be trained this way when every layer with parameters implements
 * `backwardInputs` / `weightGradUnits` (dense) and every other layer is `rowwise`.
 */
import type { Layer } from '../layers/types.ts';

/** One layer with parameters, as the deferred split sees it. */
export interface DeferredLayer {
  /** Index in the model's layers. */
  readonly index: number;
  /** Output units (the leading axis of each of its parameters). */
  readonly units: number;
  /** Input values per row. */
  readonly inSize: number;
  /** True when the layer's input is the model's input itself (only flatten/reshape before it): its rows are read there. */
  readonly readsModelInput: boolean;
  /** Per parameter: its first element in the model's flat storage, and its elements per unit. */
  readonly params: readonly { readonly offset: number; readonly perUnit: number }[];
}

/** One thread's slice of a batch in deferred mode: where it leaves its rows' dz and x. */
export interface DeferredSlice {
  /** The slice's first row in the whole batch. */
  readonly row0: number;
  /** Per model layer (null for a layer without parameters): the whole batch's dz, row-major [rows, units]. */
  readonly dz: readonly (Float32Array | null)[];
  /** Per model layer: the whole batch's input rows [rows, inSize]; null for layers without parameters and those that read the model's input. */
  readonly x: readonly (Float32Array | null)[];
  /** Every row's loss term (w_i * loss_i) of the whole batch; the slice writes its own. */
  readonly rowLosses: Float64Array;
}

/**
 * The tensor-parallel first layer of a deferred step (ParallelTrainer's phase A by units).
 * `Sequential.forwardUnits`: the layer at `index` (dense, after parameter-free row-by-row
 * layers only) computes output units [j0, j1) of every row into `z` ([batch, units], shared
 * between the threads), the units from `split` on only after `awaitSplit` returns (another
 * thread may still be updating their weights). Then, every unit filled,
 * `computeGradients` with `slice.units` runs a thread's rows (from `slice.deferred.row0`) from
 * there: that layer's bias and activation (output in `a`), the rest of the model, the loss
 * and the backward to the inputs, as the deferred slice does after a whole forward.
 */
export interface UnitsFirst {
  readonly index: number;
  readonly j0: number;
  readonly j1: number;
  readonly z: Float32Array;
  readonly a: Float32Array;
  readonly split?: number;
  readonly awaitSplit?: () => void;
}

/** Layers that return their input array itself (so what follows still reads the model's input). */
const PASS_THROUGH = new Set(['flatten', 'reshape']);

/**
 * The model's layers with parameters for the deferred split, or null when a layer cannot take
 * part (parameters without `backwardInputs`, buffers, or a parameter-free layer that is not
 * `rowwise`, e.g. dropout's per-thread random masks).
 */
export function deferredLayout(layers: readonly Layer[], offsetOf: (p: Float32Array) => number): DeferredLayer[] | null {
  const out: DeferredLayer[] = [];
  let inputSoFar = true;
  for (const [i, layer] of layers.entries()) {
    if (layer.buffers.length > 0) return null;
    if (layer.paramCount === 0) {
      if (layer.rowwise !== true) return null;
      if (!PASS_THROUGH.has(layer.type)) inputSoFar = false;
      continue;
    }
    if (!layer.backwardInputs || !layer.weightGradUnits) return null;
    const units = layer.outputShape.reduce((a, b) => a * b, 1);
    const inSize = layer.inputShape.reduce((a, b) => a * b, 1);
    // One output row per sample (e.g. not a dense layer applied along a sequence).
    if (layer.params.some((p) => p.shape[0] !== units)) return null;
    out.push({
      index: i, units, inSize, readsModelInput: inputSoFar,
      params: layer.params.map((p) => ({ offset: offsetOf(p.value), perUnit: p.value.length / units })),
    });
    inputSoFar = false;
  }
  return out;
}
