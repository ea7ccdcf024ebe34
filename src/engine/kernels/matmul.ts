/**
 * Matrix-multiply kernels: plain range functions over row-major Float32Arrays.
 * Each writes (overwrites) rows [rowStart, rowEnd) of `out` (shape [m, n]) and knows nothing
 * about threads, so a caller may split the rows across workers. Kernels trust their inputs;
 * shapes are validated at the op boundary.
 *
 * The four variants cover C = op(A) · op(B) with op = identity or transpose, which is all
 * the backward pass of matmul needs without materialising a transposed copy.
 */

/**
 * out[m,n] = a[m,k] · b[k,n]. Loop order i-k-j: the inner loop streams a row of b into rows
 * of out. Four output rows are computed together so each loaded element of b is used four
 * times (measured ~1.6x faster than one row at a time at 256x256 on V8).
 */
export function matmulRows(
  a: Float32Array, b: Float32Array, out: Float32Array,
  _m: number, k: number, n: number, rowStart: number, rowEnd: number,
): void {
  let i = rowStart;
  for (; i + 3 < rowEnd; i += 4) {
    const o0 = i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    out.fill(0, o0, o3 + n);
    const a0 = i * k;
    for (let p = 0; p < k; p++) {
      const v0 = a[a0 + p];
      const v1 = a[a0 + k + p];
      const v2 = a[a0 + 2 * k + p];
      const v3 = a[a0 + 3 * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const bv = b[bp + j];
        out[o0 + j] += v0 * bv;
        out[o1 + j] += v1 * bv;
        out[o2 + j] += v2 * bv;
        out[o3 + j] += v3 * bv;
      }
    }
  }
  for (; i < rowEnd; i++) {
    const oi = i * n;
    out.fill(0, oi, oi + n);
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const av = a[ai + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) out[oi + j] += av * b[bp + j];
    }
  }
}

/**
 * out[m,n] = a[m,k] · b[n,k]ᵀ (b stored as [n,k]): dot products of contiguous rows, in 2x2
 * blocks (four accumulators) so each loaded element is used twice. Row i of out starts at
 * i * ldc (default n: out is [m,n]; more, to fill some columns of a wider matrix).
 */
export function matmulRowsNT(
  a: Float32Array, b: Float32Array, out: Float32Array,
  _m: number, k: number, n: number, rowStart: number, rowEnd: number, ldc = n,
): void {
  let i = rowStart;
  for (; i + 1 < rowEnd; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    const o0 = i * ldc;
    const o1 = o0 + ldc;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const b0 = j * k;
      const b1 = b0 + k;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p];
        const x1 = a[a1 + p];
        const y0 = b[b0 + p];
        const y1 = b[b1 + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      out[o0 + j] = s00;
      out[o0 + j + 1] = s01;
      out[o1 + j] = s10;
      out[o1 + j + 1] = s11;
    }
    if (j < n) {
      const bj = j * k;
      let s0 = 0;
      let s1 = 0;
      for (let p = 0; p < k; p++) {
        s0 += a[a0 + p] * b[bj + p];
        s1 += a[a1 + p] * b[bj + p];
      }
      out[o0 + j] = s0;
      out[o1 + j] = s1;
    }
  }
  for (; i < rowEnd; i++) {
    const ai = i * k;
    const oi = i * ldc;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
      out[oi + j] = s;
    }
  }
}

/** out[m,n] = a[k,m]ᵀ · b[k,n] (a stored as [k,m]); four output rows at a time, as in matmulRows. */
export function matmulRowsTN(
  a: Float32Array, b: Float32Array, out: Float32Array,
  m: number, k: number, n: number, rowStart: number, rowEnd: number,
): void {
  tn(a, b, out, m, k, n, rowStart, rowEnd, false);
}

/** out[m,n] += a[k,m]ᵀ · b[k,n]: matmulRowsTN adding onto `out` (e.g. a weight gradient accumulated in place). */
export function matmulRowsTNAcc(
  a: Float32Array, b: Float32Array, out: Float32Array,
  m: number, k: number, n: number, rowStart: number, rowEnd: number,
): void {
  tn(a, b, out, m, k, n, rowStart, rowEnd, true);
}

function tn(
  a: Float32Array, b: Float32Array, out: Float32Array,
  m: number, k: number, n: number, rowStart: number, rowEnd: number, accumulate: boolean,
): void {
  let i = rowStart;
  for (; i + 3 < rowEnd; i += 4) {
    const o0 = i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    if (!accumulate) out.fill(0, o0, o3 + n);
    for (let p = 0; p < k; p++) {
      const ap = p * m + i;
      const v0 = a[ap];
      const v1 = a[ap + 1];
      const v2 = a[ap + 2];
      const v3 = a[ap + 3];
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const bv = b[bp + j];
        out[o0 + j] += v0 * bv;
        out[o1 + j] += v1 * bv;
        out[o2 + j] += v2 * bv;
        out[o3 + j] += v3 * bv;
      }
    }
  }
  for (; i < rowEnd; i++) {
    const oi = i * n;
    if (!accumulate) out.fill(0, oi, oi + n);
    for (let p = 0; p < k; p++) {
      const av = a[p * m + i];
      const bp = p * n;
      for (let j = 0; j < n; j++) out[oi + j] += av * b[bp + j];
    }
  }
}

/** out[m,n] = a[k,m]ᵀ · b[n,k]ᵀ (a stored as [k,m], b as [n,k]). */
export function matmulRowsTT(
  a: Float32Array, b: Float32Array, out: Float32Array,
  m: number, k: number, n: number, rowStart: number, rowEnd: number,
): void {
  for (let i = rowStart; i < rowEnd; i++) {
    const oi = i * n;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[p * m + i] * b[bj + p];
      out[oi + j] = s;
    }
  }
}

export type MatmulKernel = typeof matmulRows;
/** A product whose output rows may be `ldc` floats apart (matmulRowsNT). */
export type StridedMatmulKernel = typeof matmulRowsNT;
