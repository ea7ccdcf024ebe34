/**
 * Elementwise kernels. No per-element closures: each op has its own loop, selected once per
 * call by a switch. Broadcasting is handled by the row plan of `binaryRows`: the output is
 * seen as `rows` rows of `inner` elements; each input has a start offset per row and a step
 * (1 if it varies along the inner axis, 0 if it is broadcast along it).
 */
import { erf } from './erf.ts';

export type UnaryOp = 'neg' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'sigmoid' | 'tanh' | 'erf';
export type BinaryOp = 'add' | 'mul' | 'div' | 'gt' | 'ge' | 'eq';

export function unaryRange(op: UnaryOp, a: Float32Array, out: Float32Array, start: number, end: number): void {
  switch (op) {
    case 'neg':
      for (let i = start; i < end; i++) out[i] = -a[i];
      return;
    case 'exp':
      for (let i = start; i < end; i++) out[i] = Math.exp(a[i]);
      return;
    case 'log':
      for (let i = start; i < end; i++) out[i] = Math.log(a[i]);
      return;
    case 'log1p':
      for (let i = start; i < end; i++) out[i] = Math.log1p(a[i]);
      return;
    case 'sqrt':
      for (let i = start; i < end; i++) out[i] = Math.sqrt(a[i]);
      return;
    case 'sigmoid':
      // Never exponentiates a positive number, so it cannot overflow.
      for (let i = start; i < end; i++) {
        const x = a[i];
        if (x >= 0) out[i] = 1 / (1 + Math.exp(-x));
        else {
          const e = Math.exp(x);
          out[i] = e / (1 + e);
        }
      }
      return;
    case 'tanh':
      for (let i = start; i < end; i++) out[i] = Math.tanh(a[i]);
      return;
    case 'erf':
      for (let i = start; i < end; i++) out[i] = erf(a[i]);
      return;
  }
}

/** Same-shape binary op over [start, end). */
export function binaryRange(
  op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, start: number, end: number,
): void {
  switch (op) {
    case 'add':
      for (let i = start; i < end; i++) out[i] = a[i] + b[i];
      return;
    case 'mul':
      for (let i = start; i < end; i++) out[i] = a[i] * b[i];
      return;
    case 'div':
      for (let i = start; i < end; i++) out[i] = a[i] / b[i];
      return;
    case 'gt':
      for (let i = start; i < end; i++) out[i] = a[i] > b[i] ? 1 : 0;
      return;
    case 'ge':
      for (let i = start; i < end; i++) out[i] = a[i] >= b[i] ? 1 : 0;
      return;
    case 'eq':
      for (let i = start; i < end; i++) out[i] = a[i] === b[i] ? 1 : 0;
      return;
  }
}

/**
 * Broadcast binary op over output rows [rowStart, rowEnd). Row r of the output reads `a`
 * from aRow[r] with step aStep and `b` from bRow[r] with step bStep.
 */
export function binaryRows(
  op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array,
  inner: number, aRow: Int32Array, aStep: number, bRow: Int32Array, bStep: number,
  rowStart: number, rowEnd: number,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    let ia = aRow[r];
    let ib = bRow[r];
    const o = r * inner;
    const e = o + inner;
    switch (op) {
      case 'add':
        for (let i = o; i < e; i++, ia += aStep, ib += bStep) out[i] = a[ia] + b[ib];
        break;
      case 'mul':
        for (let i = o; i < e; i++, ia += aStep, ib += bStep) out[i] = a[ia] * b[ib];
        break;
      case 'div':
        for (let i = o; i < e; i++, ia += aStep, ib += bStep) out[i] = a[ia] / b[ib];
        break;
      case 'gt':
        for (let i = o; i < e; i++, ia += aStep, ib += bStep) out[i] = a[ia] > b[ib] ? 1 : 0;
        break;
      case 'ge':
        for (let i = o; i < e; i++, ia += aStep, ib += bStep) out[i] = a[ia] >= b[ib] ? 1 : 0;
        break;
      case 'eq':
        for (let i = o; i < e; i++, ia += aStep, ib += bStep) out[i] = a[ia] === b[ib] ? 1 : 0;
        break;
    }
  }
}

/** out = cond != 0 ? a : b, broadcast by the same row plan as `binaryRows`. */
export function whereRows(
  cond: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array, inner: number,
  cRow: Int32Array, cStep: number, aRow: Int32Array, aStep: number, bRow: Int32Array, bStep: number,
  rowStart: number, rowEnd: number,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    let ic = cRow[r];
    let ia = aRow[r];
    let ib = bRow[r];
    const o = r * inner;
    for (let i = o, e = o + inner; i < e; i++, ic += cStep, ia += aStep, ib += bStep) {
      out[i] = cond[ic] !== 0 ? a[ia] : b[ib];
    }
  }
}

