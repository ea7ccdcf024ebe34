/**
 * Reductions over one axis of a tensor seen as [outer, len, inner]: out is [outer, inner].
 * The loops run over `inner` innermost so both input and output are read contiguously.
 * Ranges are over `outer`.
 */
export function sumAxisRange(
  a: Float32Array, out: Float32Array, len: number, inner: number, outerStart: number, outerEnd: number,
): void {
  if (inner === 1) {
    for (let o = outerStart; o < outerEnd; o++) {
      let s = 0;
      const base = o * len;
      for (let r = 0; r < len; r++) s += a[base + r];
      out[o] = s;
    }
    return;
  }
  for (let o = outerStart; o < outerEnd; o++) {
    const ob = o * inner;
    out.fill(0, ob, ob + inner);
    for (let r = 0; r < len; r++) {
      const ab = (o * len + r) * inner;
      for (let i = 0; i < inner; i++) out[ob + i] += a[ab + i];
    }
  }
}

export function maxAxisRange(
  a: Float32Array, out: Float32Array, len: number, inner: number, outerStart: number, outerEnd: number,
): void {
  for (let o = outerStart; o < outerEnd; o++) {
    const ob = o * inner;
    const first = o * len * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = a[first + i];
    for (let r = 1; r < len; r++) {
      const ab = (o * len + r) * inner;
      for (let i = 0; i < inner; i++) {
        const v = a[ab + i];
        // NaN propagates, as in PyTorch.
        if (v > out[ob + i] || v !== v) out[ob + i] = v;
      }
    }
  }
}

/** Index of the maximum along the axis (first one on ties). */
export function argmaxAxisRange(
  a: Float32Array, out: Float32Array, len: number, inner: number, outerStart: number, outerEnd: number,
): void {
  for (let o = outerStart; o < outerEnd; o++) {
    for (let i = 0; i < inner; i++) {
      let best = a[o * len * inner + i];
      let arg = 0;
      for (let r = 1; r < len; r++) {
        const v = a[(o * len + r) * inner + i];
        if (v > best) {
          best = v;
          arg = r;
        }
      }
      out[o * inner + i] = arg;
    }
  }
}
