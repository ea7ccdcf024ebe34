/**
 * How work is split over `threads` threads, fixed by the sizes alone (so a fixed thread
 * count always splits the same way). Part 0 (the calling thread) is the largest.
 */
export function partBounds(part: number, total: number, threads: number): [number, number] {
  return [total - Math.floor(((threads - part) * total) / threads), total - Math.floor(((threads - part - 1) * total) / threads)];
}

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
