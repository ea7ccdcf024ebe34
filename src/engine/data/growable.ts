import { checkBytes } from './limits.ts';
import type { ReadLimits } from './types.ts';

/** An append-only Float32Array that doubles as it grows, within a byte budget shared with others. */
export class GrowableFloat32 {
  private buf = new Float32Array(1024);
  length = 0;

  /** Make room for `n` more values; `otherBytes` is what the reader holds besides this array. */
  reserve(n: number, limits: ReadLimits, otherBytes: number, what: string): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    checkBytes(limits, need * 4 + otherBytes, what);
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    if (limits.maxBytes !== undefined) cap = Math.max(need, Math.min(cap, Math.floor((limits.maxBytes - otherBytes) / 4)));
    const next = new Float32Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  push(v: number): void {
    this.buf[this.length++] = v;
  }

  /** The values, trimmed to length (a copy). */
  toArray(): Float32Array {
    return this.buf.slice(0, this.length);
  }

  get capacityBytes(): number {
    return this.buf.length * 4;
  }
}
