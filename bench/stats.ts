/** Summaries the benches print for repeated measurements on a noisy machine. */

export function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Ratios as `median xM, middle half xA-xB, all xLo-xHi`. */
export function ratioSpread(ratios: readonly number[]): string {
  const s = [...ratios].sort((a, b) => a - b);
  const q = (f: number): number => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return `median x${median(s).toFixed(2)}, middle half x${q(0.25).toFixed(2)}-x${q(0.75).toFixed(2)}, all x${s[0].toFixed(2)}-x${s[s.length - 1].toFixed(2)}`;
}
