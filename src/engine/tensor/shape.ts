/** Shape arithmetic shared by the forward ops: sizes, strides, broadcasting, axes. */

/** Shapes print as `[2,3]`, the form every error message uses. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C order) strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function assertValidShape(op: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: invalid shape ${formatShape(shape)} (dimensions must be non-negative integers)`);
    }
  }
}

/** numpy broadcasting of any number of shapes; `op` names the caller in the error. */
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i];
      const o = out[off + i];
      if (d === o || d === 1) continue;
      if (o === 1) {
        out[off + i] = d;
        continue;
      }
      throw new Error(
        `${op}: shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast together (dimension ${d} vs ${o})`,
      );
    }
  }
  return out;
}

/** Normalises one possibly negative axis against `rank`. */
export function normalizeAxis(op: string, axis: number, rank: number, shape: readonly number[]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for shape ${formatShape(shape)}`);
  }
  return a;
}

/** Sorted unique non-negative axes; `undefined` means all axes. */
export function normalizeAxes(
  op: string,
  axes: number | readonly number[] | undefined,
  shape: readonly number[],
): number[] {
  const rank = shape.length;
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const set = new Set(list.map((a) => normalizeAxis(op, a, rank, shape)));
  return [...set].sort((x, y) => x - y);
}

/** The shape after reducing `axes` (kept as 1s with keepDims). */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

/** Axes along which `from` (broadcast up to `to`) was expanded: the axes to sum a gradient over. */
export function broadcastAxes(from: readonly number[], to: readonly number[]): number[] {
  const off = to.length - from.length;
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < off || (from[i - off] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}
