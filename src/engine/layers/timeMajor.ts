/**
 * Batch-major [B, T, F] ↔ time-major [T, B, F] copies for the recurrent layers, with an
 * optional reversal of time (goBackwards): time-major row s holds timestep T−1−s.
 */
export function toTimeMajor(x: Float32Array, out: Float32Array, B: number, T: number, F: number, reverse: boolean): void {
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) out.set(x.subarray((b * T + t) * F, (b * T + t + 1) * F), (s * B + b) * F);
  }
}

/** out[b, t] (+)= xT[s, b] where t = s, or T−1−s when reverse; `xT` starts at row `rowOffset`. */
export function fromTimeMajor(xT: Float32Array, out: Float32Array, B: number, T: number, F: number, reverse: boolean, accumulate = false, rowOffset = 0): void {
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const src = (rowOffset + s * B + b) * F;
      const dst = (b * T + t) * F;
      if (accumulate) for (let k = 0; k < F; k++) out[dst + k] += xT[src + k];
      else out.set(xT.subarray(src, src + F), dst);
    }
  }
}
