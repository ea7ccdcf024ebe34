/**
 * Strided copy kernels behind every movement op (permute, expand, slice, pad, concat).
 * The op layer describes the copy as a row plan: `rows` rows of `inner` elements, a start
 * offset per row and an element step; these loops only follow it.
 */

/** Gather: out[r*inner + i] = a[aRow[r] + i*aStep] (permute, expand, slice). */
export function gatherRows(
  a: Float32Array, out: Float32Array, inner: number, aRow: Int32Array, aStep: number,
  rowStart: number, rowEnd: number,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const o = r * inner;
    const src = aRow[r];
    if (aStep === 1) out.set(a.subarray(src, src + inner), o);
    else if (aStep === 0) out.fill(a[src], o, o + inner);
    else for (let i = 0, ia = src; i < inner; i++, ia += aStep) out[o + i] = a[ia];
  }
}

/** Scatter: out[outRow[r] + i*outStep] = a[r*inner + i] (pad, concat). */
export function scatterRows(
  a: Float32Array, out: Float32Array, inner: number, outRow: Int32Array, outStep: number,
  rowStart: number, rowEnd: number,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const src = r * inner;
    const dst = outRow[r];
    if (outStep === 1) out.set(a.subarray(src, src + inner), dst);
    else for (let i = 0, io = dst; i < inner; i++, io += outStep) out[io] = a[src + i];
  }
}
