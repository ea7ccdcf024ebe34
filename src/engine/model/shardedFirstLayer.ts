/**
 * The first layer split by units: the seam for data-parallel training where each thread owns
 * a range of the first dense layer's output units for the whole batch (its forward, its weight
 * gradients and their update) and runs the rest of the model (the tail) on every row itself.
 * A thread's units of the first layer are read and written by that thread alone, so the
 * threads meet once per batch, when every unit's output is there for the tail.
 *
 *   forwardUnits(x, rows, j0, j1, h)     units [j0, j1) of the first layer, all rows, into h
 *   computeTail(h, y, rows, weights, …)  the tail's forward, loss and backward to h: dL/dh
 *   shardWeightGrads(x, dh, rows, j0, j1) units [j0, j1)'s gradients from dL/dh
 *
 * Every product and sum is the one the whole-batch backward computes for those elements, in
 * the same order, so any split of the units gives the 1-thread gradients bit for bit.
 *
 * A model can be trained this way when its first layer with parameters is dense with an
 * elementwise activation and reads the model's input (only flatten or reshape before it), and
 * the tail after it is deterministic (no dropout, no buffers) with a backward to its inputs
 * that writes no parameter gradient (`backwardInputs`) wherever it has parameters.
 */
import type { Layer } from '../layers/types.ts';

export interface ShardedLayout {
  /** Index of the first layer (the one split by units) in the model's layers. */
  readonly index: number;
  readonly units: number;
  readonly inSize: number;
  /** Per parameter of the first layer: its first element in the model's flat storage, and its elements per unit. */
  readonly params: readonly { readonly offset: number; readonly perUnit: number }[];
  /** The first parameter element of the tail (the tail's parameters are [tailStart, paramCount)). */
  readonly tailStart: number;
  /** Forward FLOPs per sample of the first layer and of the tail (every thread runs the whole tail). */
  readonly firstFlops: number;
  readonly tailFlops: number;
}

const PASS_THROUGH = new Set(['flatten', 'reshape']);

/** The layout, or null when the model does not fit (see the module comment). */
export function shardedLayout(layers: readonly Layer[], offsetOf: (p: Float32Array) => number): ShardedLayout | null {
  const first = layers.findIndex((l) => l.paramCount > 0);
  if (first < 0 || first === layers.length - 1) return null;
  if (layers.slice(0, first).some((l) => !PASS_THROUGH.has(l.type))) return null;
  const layer = layers[first];
  if (!layer.forwardUnits || !layer.backwardUnits || layer.buffers.length > 0) return null;
  // Softmax couples a row's units: a thread's units alone cannot be normalised.
  if (layer.outputActivation === 'softmax') return null;
  let tailFlops = 0;
  for (const l of layers.slice(first + 1)) {
    if (l.buffers.length > 0 || l.type === 'dropout') return null;
    if (l.paramCount > 0 && !l.backwardInputs) return null;
    tailFlops += l.flops(l.inputShape);
  }
  const units = layer.outputShape.reduce((a, b) => a * b, 1);
  const inSize = layer.inputShape.reduce((a, b) => a * b, 1);
  if (layer.params.some((p) => p.shape[0] !== units)) return null;
  const last = layer.params[layer.params.length - 1];
  return {
    index: first, units, inSize,
    params: layer.params.map((p) => ({ offset: offsetOf(p.value), perUnit: p.value.length / units })),
    tailStart: offsetOf(last.value) + last.value.length,
    firstFlops: layer.flops(layer.inputShape),
    tailFlops,
  };
}
