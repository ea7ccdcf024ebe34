/** Summaries the benches print for repeated measurements on a noisy machine. */

export function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The value at fraction `f` of the way through the sorted values (0: the smallest; 1: the largest; rounded to the nearer rank, so 0.25 and 0.75 sit alike). */
export function quantile(v: readonly number[], f: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.round(f * (s.length - 1))];
}

/** Ratios as `median xM, middle half xA-xB, all xLo-xHi`. */
export function ratioSpread(ratios: readonly number[]): string {
  const q = (f: number): string => quantile(ratios, f).toFixed(2);
  return `median x${median(ratios).toFixed(2)}, middle half x${q(0.25)}-x${q(0.75)}, all x${q(0)}-x${q(1)}`;
}
