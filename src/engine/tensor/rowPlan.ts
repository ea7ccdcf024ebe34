/**
 * Describes a strided walk over `shape` as rows for the copy/broadcast kernels: the shape is
 * split into `rows` rows of `inner` elements (trailing dimensions are merged whenever every
 * operand allows it), and each operand gets a start offset per row and an element step.
 * Operand strides may be 0 (broadcast) or any permutation of the natural strides.
 */
export interface RowPlan {
  rows: number;
  inner: number;
  offsets: Int32Array[];
  steps: number[];
}

export function rowPlan(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  bases?: readonly number[],
): RowPlan {
  // Merge adjacent dimensions that are contiguous for every operand; drop size-1 dims.
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k][last] === s[d] * shape[d])) {
      dims[last] *= shape[d];
      strides.forEach((s, k) => (st[k][last] = s[d]));
    } else {
      dims.push(shape[d]);
      strides.forEach((s, k) => st[k].push(s[d]));
    }
  }
  const n = strides.length;
  const base = bases ?? new Array<number>(n).fill(0);
  if (dims.length === 0) {
    let size = 1;
    for (const d of shape) size *= d;
    return {
      rows: size === 0 ? 0 : 1,
      inner: 1,
      offsets: base.map((b) => Int32Array.of(b)),
      steps: new Array<number>(n).fill(0),
    };
  }
  const inner = dims[dims.length - 1];
  const outer = dims.slice(0, -1);
  let rows = 1;
  for (const d of outer) rows *= d;
  const offsets = base.map(() => new Int32Array(rows));
  const idx = new Array<number>(outer.length).fill(0);
  const cur = base.slice();
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < n; k++) offsets[k][r] = cur[k];
    // odometer increment over the outer dims
    for (let d = outer.length - 1; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < n; k++) cur[k] += st[k][d];
      if (idx[d] < outer[d]) break;
      for (let k = 0; k < n; k++) cur[k] -= st[k][d] * outer[d];
      idx[d] = 0;
    }
  }
  return { rows, inner, offsets, steps: st.map((s) => s[s.length - 1]) };
}

/** Strides that read an operand of shape `from` broadcast up to `to` (0 on broadcast axes). */
export function broadcastStrides(from: readonly number[], to: readonly number[]): number[] {
  const off = to.length - from.length;
  const out = new Array<number>(to.length).fill(0);
  let acc = 1;
  for (let i = from.length - 1; i >= 0; i--) {
    out[i + off] = from[i] === 1 && to[i + off] !== 1 ? 0 : acc;
    acc *= from[i];
  }
  return out;
}
