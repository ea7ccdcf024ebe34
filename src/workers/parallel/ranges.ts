/**
 * How work is split over `threads` threads, fixed by the sizes alone (so a fixed thread
 * count always splits the same way). Part 0 (the calling thread) is the largest.
 */
export function partBounds(part: number, total: number, threads: number): [number, number] {
  return [total - Math.floor(((threads - part) * total) / threads), total - Math.floor(((threads - part - 1) * total) / threads)];
}

/**
 * Rows [start, end) of part `part` of a batch whose part 0 takes `lead` rows more than an
 * even split (at most all but one row per other part, never fewer than none); the other
 * parts share the rest evenly. Fixed by the sizes alone, as partBounds.
 */
export function rowBounds(part: number, batch: number, threads: number, lead: number): [number, number] {
  const [, even0] = partBounds(0, batch, threads);
  const first = Math.max(even0, Math.min(batch - (threads - 1), even0 + lead));
  if (part === 0) return [0, first];
  const [a, b] = partBounds(part - 1, batch - first, threads - 1);
  return [first + a, first + b];
}

/**
 * The rows part 0 (the calling thread) takes beyond an even split when the helpers run the
 * optimizer update: they start the next batch's rows only after it, while the calling
 * thread starts at once (its forward follows the update block by block), so they get
 * fewer rows. Balanced when rows(0) = helper rows + update / (time per row), with the
 * update ~1.9 ns per parameter (Adam, memory-bound) and a row ~trainingFlops / 35 GFLOP/s
 * (the wasm GEMM), both measured on the 2-vCPU EPYC machines this runs on. Capped at a
 * quarter of the batch. A function of the model and the batch size only, so a fixed thread
 * count always splits the same way.
 */
export function leadRows(paramCount: number, trainingFlopsPerSample: number, batch: number, threads: number): number {
  if (threads < 2 || trainingFlopsPerSample <= 0) return 0;
  const updateInRows = (paramCount * NS_PER_PARAM_UPDATE * GEMM_GFLOPS) / trainingFlopsPerSample;
  return Math.min(Math.floor(batch / 4), Math.round(updateInRows / threads));
}

const NS_PER_PARAM_UPDATE = 1.9;
const GEMM_GFLOPS = 35;

/** dst[i] += src[i] for i < n (a wasm kernel or the plain loop: the same float operations). */
export type AddInto = (dst: Float32Array, src: Float32Array, n: number) => void;

const plainAdd: AddInto = (dst, src, n) => {
  for (let i = 0; i < n; i++) dst[i] += src[i];
};

/** g[from..to) = grads[0] + grads[1] + ... in that order, into grads[0]. */
export function reduceRange(grads: readonly Float32Array[], from: number, to: number, add: AddInto = plainAdd): void {
  if (to <= from) return;
  const g = grads[0].subarray(from, to);
  for (let r = 1; r < grads.length; r++) add(g, grads[r].subarray(from, to), to - from);
}
