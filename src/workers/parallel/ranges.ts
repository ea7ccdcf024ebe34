/**
 * How work is split over `threads` threads, fixed by the sizes alone (so a fixed thread
 * count always splits the same way). Part 0 (the calling thread) is the largest.
 */
export function partBounds(part: number, total: number, threads: number): [number, number] {
  return [total - Math.floor(((threads - part) * total) / threads), total - Math.floor(((threads - part - 1) * total) / threads)];
}

/** g[from..to) = grads[0] + grads[1] + ... in that order, into grads[0]. */
export function reduceRange(grads: readonly Float32Array[], from: number, to: number): void {
  const g = grads[0];
  for (let r = 1; r < grads.length; r++) {
    const gr = grads[r];
    for (let i = from; i < to; i++) g[i] += gr[i];
  }
}
