/**
 * Tensor: a row-major shape plus a contiguous Float32Array view over a SharedArrayBuffer,
 * and (when it requires grad) the node of the autograd tape that produced it.
 *
 * Every differentiable method is either a primitive (it records itself on the tape; its
 * gradient is one line in backwardRules.ts) or a composite of primitives with no backward
 * code at all. Tensors are immutable except for `grad` and in-place updates of parameter
 * data by an optimizer; reshape and detach share their input's storage.
 */
import type { Rng } from '../rng.ts';
import { runBackward } from './autograd.ts';
import { argmaxForward, reduceForward } from './reduceForward.ts';
import { binaryForward, expandForward, unaryForward, whereForward } from './elementwiseForward.ts';
import { concatForward, padForward, permuteForward, sliceForward } from './movementForward.ts';
import { matmulForward } from './matmulForward.ts';
import { isGradEnabled } from './gradMode.ts';
import type { GradTensor } from './gradTensor.ts';
import type { OpContext, PrimitiveOp } from './opContext.ts';
import { allocFloat32, sharedCopy } from './storage.ts';
import {
  assertValidShape, formatShape, normalizeAxes, normalizeAxis, reducedShape, sizeOf,
} from './shape.ts';
import type { TensorData } from './tensorData.ts';

export type TensorOrNumber = Tensor | number;

/** Nested number arrays, as accepted by `Tensor.from` when no shape is given. */
export type NestedArray = number | NestedArray[];

export interface TensorOptions {
  requiresGrad?: boolean;
}

const EMPTY: readonly Tensor[] = Object.freeze([]);
const NO_CTX: OpContext = Object.freeze({});

export class Tensor implements TensorData, GradTensor {
  readonly shape: number[];
  readonly data: Float32Array;
  /** Whether gradients flow to this tensor (leaves: set by the user; others: inferred). */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf that requires grad (null until the first backward). */
  grad: Tensor | null = null;
  /** The primitive that produced this tensor on the tape; null for leaves. */
  readonly op: PrimitiveOp | null;
  readonly inputs: readonly Tensor[];
  readonly ctx: OpContext;
  /** Optional label (parameter name) for debugging. */
  name?: string;

  /**
   * Wraps `data` (no copy) with `shape`. Prefer the factories; pass data from `allocFloat32`
   * (SharedArrayBuffer) when it should be shareable across threads.
   */
  constructor(data: Float32Array, shape: readonly number[], options: TensorOptions = {}) {
    assertValidShape('Tensor', shape);
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: ${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} needed)`);
    }
    this.shape = shape.slice();
    this.data = data;
    this.requiresGrad = options.requiresGrad ?? false;
    this.op = null;
    this.inputs = EMPTY;
    this.ctx = NO_CTX;
  }

  // ---------------------------------------------------------------- factories

  static zeros(shape: readonly number[], options?: TensorOptions): Tensor {
    assertValidShape('zeros', shape);
    return new Tensor(allocFloat32(sizeOf(shape)), shape, options);
  }

  static ones(shape: readonly number[], options?: TensorOptions): Tensor {
    return Tensor.full(shape, 1, options);
  }

  static full(shape: readonly number[], value: number, options?: TensorOptions): Tensor {
    const t = Tensor.zeros(shape, options);
    t.data.fill(value);
    return t;
  }

  static scalar(value: number, options?: TensorOptions): Tensor {
    return Tensor.full([], value, options);
  }

  /**
   * Copies `values` into new shared storage. With no shape, a flat array becomes rank 1 and
   * a nested array gives its own shape.
   */
  static from(values: ArrayLike<number> | NestedArray, shape?: readonly number[], options?: TensorOptions): Tensor {
    if (typeof values === 'number') return new Tensor(sharedCopy([values]), shape ?? [], options);
    if (Array.isArray(values) && shape === undefined) {
      const inferred = nestedShape(values);
      return new Tensor(sharedCopy(flatten(values as NestedArray[])), inferred, options);
    }
    const flat = values as ArrayLike<number>;
    return new Tensor(sharedCopy(flat), shape ?? [flat.length], options);
  }

  /** Wraps an existing Float32Array without copying (e.g. a view another thread shares). */
  static fromShared(data: Float32Array, shape: readonly number[], options?: TensorOptions): Tensor {
    return new Tensor(data, shape, options);
  }

  /** A trainable leaf: requires grad and has a zeroed `grad` buffer from the start. */
  static param(values: Tensor | ArrayLike<number>, shape?: readonly number[]): Tensor {
    const t = values instanceof Tensor
      ? new Tensor(sharedCopy(values.data), values.shape, { requiresGrad: true })
      : Tensor.from(values, shape, { requiresGrad: true });
    t.ensureGrad();
    return t;
  }

  static randn(shape: readonly number[], rng: Rng, mean = 0, stddev = 1, options?: TensorOptions): Tensor {
    const t = Tensor.zeros(shape, options);
    for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal(mean, stddev);
    return t;
  }

  static uniform(shape: readonly number[], rng: Rng, low = 0, high = 1, options?: TensorOptions): Tensor {
    const t = Tensor.zeros(shape, options);
    for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(low, high);
    return t;
  }

  /** One-hot rows (no grad) for integer class indices: shape [...indices.shape, depth]. */
  static oneHot(indices: Tensor | ArrayLike<number>, depth: number): Tensor {
    const idx = indices instanceof Tensor ? indices : Tensor.from(indices);
    const out = Tensor.zeros([...idx.shape, depth]);
    for (let i = 0; i < idx.data.length; i++) {
      const c = idx.data[i];
      if (!Number.isInteger(c) || c < 0 || c >= depth) {
        throw new Error(`oneHot: index ${c} at position ${i} is outside [0, ${depth})`);
      }
      out.data[i * depth + c] = 1;
    }
    return out;
  }

  /** Elementwise `cond != 0 ? a : b` with broadcasting; differentiable in a and b. */
  static where(cond: Tensor, a: TensorOrNumber, b: TensorOrNumber): Tensor {
    return cond.select(a, b);
  }

  static concat(tensors: readonly Tensor[], axis = 0): Tensor {
    if (tensors.length === 0) throw new Error('concat: needs at least one tensor');
    const ax = normalizeAxis('concat', axis, tensors[0].rank, tensors[0].shape);
    const offsets: number[] = [];
    let off = 0;
    for (const t of tensors) {
      offsets.push(off);
      off += t.shape[ax] ?? 0;
    }
    return Tensor.record(concatForward(tensors, ax), 'concat', tensors, { axis: ax, offsets });
  }

  /** Stacks same-shape tensors along a new axis (composite: reshape + concat). */
  static stack(tensors: readonly Tensor[], axis = 0): Tensor {
    if (tensors.length === 0) throw new Error('stack: needs at least one tensor');
    const rank = tensors[0].rank + 1;
    const ax = normalizeAxis('stack', axis, rank, tensors[0].shape);
    return Tensor.concat(
      tensors.map((t) => t.reshape([...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)])),
      ax,
    );
  }

  /** Builds an op's output and, when recording and any input requires grad, its tape node. */
  private static record(result: TensorData, op: PrimitiveOp, inputs: readonly Tensor[], ctx: OpContext = NO_CTX): Tensor {
    const t = new Tensor(result.data, result.shape);
    if (isGradEnabled() && inputs.some((x) => x.requiresGrad)) {
      t.requiresGrad = true;
      const node = t as { -readonly [K in 'op' | 'inputs' | 'ctx']: Tensor[K] };
      node.op = op;
      node.inputs = inputs;
      node.ctx = ctx;
    }
    return t;
  }

  // ---------------------------------------------------------------- basics

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${formatShape(this.shape)} has ${this.size} values, not 1`);
    return this.data[0];
  }

  /** The values as a flat number array. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The values as nested arrays following the shape (a number for rank 0). */
  toNested(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.rank) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  /** Same storage, no history, does not require grad. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with fresh storage, no history, does not require grad. */
  clone(): Tensor {
    return new Tensor(sharedCopy(this.data), this.shape);
  }

  // ---------------------------------------------------------------- autograd

  /**
   * Reverse-mode gradient of this tensor with respect to every leaf that requires grad;
   * results are added (+=) to each leaf's `grad`. Without `grad`, this must hold one value.
   * The tape is kept, so calling backward twice accumulates twice.
   */
  backward(grad?: Tensor): void {
    if (!this.requiresGrad) throw new Error('backward: tensor does not require grad (no leaf of it requires grad, or it was built under noGrad)');
    let seed: Tensor;
    if (grad === undefined) {
      if (this.size !== 1) {
        throw new Error(`backward: implicit gradient needs a single-value tensor, got shape ${formatShape(this.shape)}`);
      }
      seed = Tensor.ones(this.shape);
    } else {
      if (sizeOf(grad.shape) !== this.size || grad.rank !== this.rank || grad.shape.some((d, i) => d !== this.shape[i])) {
        throw new Error(`backward: gradient of shape ${formatShape(grad.shape)} does not match tensor shape ${formatShape(this.shape)}`);
      }
      seed = grad.detach();
    }
    runBackward(this, seed);
  }

  /** The gradient buffer of a leaf, allocated (zeros) if needed, so optimizers can hold it. */
  ensureGrad(): Tensor {
    this.grad ??= Tensor.zeros(this.shape);
    return this.grad;
  }

  /** Adds `g` into this leaf's gradient buffer, in place. Used by the backward walker. */
  accumulateGrad(g: GradTensor): void {
    const dst = this.ensureGrad().data;
    const src = g.data;
    for (let i = 0; i < dst.length; i++) dst[i] += src[i];
  }

  /** Fills the gradient buffer with zeros (keeps the buffer, so shared views stay valid). */
  zeroGrad(): void {
    this.grad?.data.fill(0);
  }

  /** Marks a leaf as trainable or not. */
  setRequiresGrad(flag = true): this {
    if (this.op !== null) throw new Error('setRequiresGrad: only leaf tensors can change requiresGrad');
    this.requiresGrad = flag;
    return this;
  }

  // ---------------------------------------------------------------- elementwise primitives

  add(other: TensorOrNumber): Tensor {
    const b = toTensor(other);
    return Tensor.record(binaryForward('add', this, b), 'add', [this, b]);
  }

  mul(other: TensorOrNumber): Tensor {
    const b = toTensor(other);
    return Tensor.record(binaryForward('mul', this, b), 'mul', [this, b]);
  }

  div(other: TensorOrNumber): Tensor {
    const b = toTensor(other);
    return Tensor.record(binaryForward('div', this, b), 'div', [this, b]);
  }

  neg(): Tensor {
    return Tensor.record(unaryForward('neg', this), 'neg', [this]);
  }

  exp(): Tensor {
    return Tensor.record(unaryForward('exp', this), 'exp', [this]);
  }

  log(): Tensor {
    return Tensor.record(unaryForward('log', this), 'log', [this]);
  }

  /** log(1 + x), accurate for small x (primitive: softplus needs it for tiny values). */
  log1p(): Tensor {
    return Tensor.record(unaryForward('log1p', this), 'log1p', [this]);
  }

  sqrt(): Tensor {
    return Tensor.record(unaryForward('sqrt', this), 'sqrt', [this]);
  }

  /** Fused for stability (never overflows) and a cheap backward from the output. */
  sigmoid(): Tensor {
    return Tensor.record(unaryForward('sigmoid', this), 'sigmoid', [this]);
  }

  /** Fused: one pass forward, backward from the output. */
  tanh(): Tensor {
    return Tensor.record(unaryForward('tanh', this), 'tanh', [this]);
  }

  /** The error function (for exact GELU). */
  erf(): Tensor {
    return Tensor.record(unaryForward('erf', this), 'erf', [this]);
  }

  /** `this != 0 ? a : b` with broadcasting; `this` is a mask and gets no gradient. */
  select(a: TensorOrNumber, b: TensorOrNumber): Tensor {
    const ta = toTensor(a);
    const tb = toTensor(b);
    return Tensor.record(whereForward(this, ta, tb), 'where', [this, ta, tb]);
  }

  // ---------------------------------------------------------------- comparisons (no gradient)

  gt(other: TensorOrNumber): Tensor {
    return Tensor.constant(binaryForward('gt', this, toTensor(other)));
  }

  ge(other: TensorOrNumber): Tensor {
    return Tensor.constant(binaryForward('ge', this, toTensor(other)));
  }

  lt(other: TensorOrNumber): Tensor {
    return Tensor.constant(binaryForward('gt', toTensor(other), this));
  }

  le(other: TensorOrNumber): Tensor {
    return Tensor.constant(binaryForward('ge', toTensor(other), this));
  }

  eq(other: TensorOrNumber): Tensor {
    return Tensor.constant(binaryForward('eq', this, toTensor(other)));
  }

  private static constant(result: TensorData): Tensor {
    return new Tensor(result.data, result.shape);
  }

  // ---------------------------------------------------------------- elementwise composites

  sub(other: TensorOrNumber): Tensor {
    return this.add(toTensor(other).neg());
  }

  square(): Tensor {
    return this.mul(this);
  }

  /** -1, 0 or 1 by the sign of each value (no gradient). */
  sign(): Tensor {
    return this.gt(0).sub(this.lt(0));
  }

  /** |x| as x·sign(x): the gradient is sign(x), so 0 at exactly 0 (as in PyTorch and TF). */
  abs(): Tensor {
    return this.mul(this.sign());
  }

  /** x ** p for a number p, as exp(p·log x): positive x only (use square() for x²). */
  pow(p: number): Tensor {
    if (p === 1) return this;
    if (p === 2) return this.square();
    return this.log().mul(p).exp();
  }

  reciprocal(): Tensor {
    return Tensor.scalar(1).div(this);
  }

  maximum(other: TensorOrNumber): Tensor {
    const b = toTensor(other);
    return this.ge(b).select(this, b);
  }

  minimum(other: TensorOrNumber): Tensor {
    const b = toTensor(other);
    return this.le(b).select(this, b);
  }

  /** Clamps to [min, max]; the gradient passes where the value is inside. */
  clip(min: number, max: number): Tensor {
    return this.maximum(min).minimum(max);
  }

  // ---------------------------------------------------------------- activations (composites)

  /** where(x > 0, x, 0): gradient 0 at x = 0, as in PyTorch and Keras. */
  relu(): Tensor {
    return this.gt(0).select(this, 0);
  }

  /** Softmax over `axis`; subtracting a detached max keeps exp finite and needs no rule. */
  softmax(axis = -1): Tensor {
    const e = this.sub(this.max(axis, true).detach()).exp();
    return e.div(e.sum(axis, true));
  }

  logSoftmax(axis = -1): Tensor {
    const shifted = this.sub(this.max(axis, true).detach());
    return shifted.sub(shifted.exp().sum(axis, true).log());
  }

  /** log(sum(exp(x))) over `axis`, stable for any finite input. */
  logSumExp(axis: number | number[] = -1, keepDims = false): Tensor {
    const m = this.max(axis, true).detach();
    const r = this.sub(m).exp().sum(axis, true).log().add(m);
    return keepDims ? r : r.reshape(reducedShape(this.shape, normalizeAxes('logSumExp', axis, this.shape), false));
  }

  // ---------------------------------------------------------------- matmul (fused primitive)

  /**
   * op(this) · op(other), op = transpose of the last two axes when its flag is set.
   * Rank 2 · rank 2, rank 3 · rank 3 (same batch), or rank ≥ 3 · rank 2 (the leading axes
   * of `this` are flattened, so a Dense layer works on any batch shape).
   */
  matmul(other: Tensor, transposeA = false, transposeB = false): Tensor {
    if (this.rank >= 3 && other.rank === 2 && !transposeA) {
      const lead = this.shape.slice(0, -1);
      const k = this.shape[this.rank - 1];
      const flat = this.reshape([sizeOf(lead), k]).matmul(other, false, transposeB);
      return flat.reshape([...lead, flat.shape[1]]);
    }
    if (this.rank > 3 && other.rank === this.rank) {
      const batch = this.shape.slice(0, -2);
      const a3 = this.reshape([sizeOf(batch), ...this.shape.slice(-2)]);
      const b3 = other.reshape([sizeOf(other.shape.slice(0, -2)), ...other.shape.slice(-2)]);
      const r = a3.matmul(b3, transposeA, transposeB);
      return r.reshape([...batch, ...r.shape.slice(1)]);
    }
    return Tensor.record(matmulForward(this, other, transposeA, transposeB), 'matmul', [this, other], {
      transposeA, transposeB,
    });
  }

  // ---------------------------------------------------------------- reductions

  /** Sum over `axes` (all when omitted); negative axes count from the end. */
  sum(axes?: number | readonly number[], keepDims = false): Tensor {
    const ax = normalizeAxes('sum', axes, this.shape);
    return Tensor.record(reduceForward('sum', this, ax, keepDims), 'sum', [this], {
      axes: ax, keptShape: reducedShape(this.shape, ax, true),
    });
  }

  /** Maximum over `axes`; ties share the gradient equally. */
  max(axes?: number | readonly number[], keepDims = false): Tensor {
    const ax = normalizeAxes('max', axes, this.shape);
    return Tensor.record(reduceForward('max', this, ax, keepDims), 'max', [this], {
      axes: ax, keptShape: reducedShape(this.shape, ax, true),
    });
  }

  min(axes?: number | readonly number[], keepDims = false): Tensor {
    return this.neg().max(axes, keepDims).neg();
  }

  mean(axes?: number | readonly number[], keepDims = false): Tensor {
    const ax = normalizeAxes('mean', axes, this.shape);
    const count = ax.reduce((n, a) => n * this.shape[a], 1);
    return this.sum(ax, keepDims).div(count);
  }

  /** Index of the maximum along `axis` as float values (no gradient). */
  argmax(axis = -1): Tensor {
    return Tensor.constant(argmaxForward(this, normalizeAxis('argmax', axis, this.rank, this.shape)));
  }

  // ---------------------------------------------------------------- movement

  /** Same data in a new shape (one dimension may be -1); shares storage. */
  reshape(shape: readonly number[]): Tensor {
    const target = inferShape(shape, this.size, this.shape);
    return Tensor.record({ shape: target, data: this.data }, 'reshape', [this]);
  }

  permute(perm: readonly number[]): Tensor {
    const p = perm.map((a) => (a < 0 ? a + this.rank : a));
    return Tensor.record(permuteForward(this, p), 'permute', [this], { perm: p });
  }

  /** Swaps two axes (the last two by default). */
  transpose(axis0 = -2, axis1 = -1): Tensor {
    if (this.rank < 2) throw new Error(`transpose: needs rank >= 2, got shape ${formatShape(this.shape)}`);
    const a0 = normalizeAxis('transpose', axis0, this.rank, this.shape);
    const a1 = normalizeAxis('transpose', axis1, this.rank, this.shape);
    const perm = Array.from({ length: this.rank }, (_, i) => i);
    perm[a0] = a1;
    perm[a1] = a0;
    return this.permute(perm);
  }

  /** Broadcasts to `shape` (numpy rules), copying. */
  expand(shape: readonly number[]): Tensor {
    return Tensor.record(expandForward(this, shape), 'expand', [this]);
  }

  /**
   * The block starting at `begin` with extent `size` (tfjs style); both may be shorter than
   * the rank (the rest is taken whole) and a size of -1 means "to the end".
   */
  slice(begin: readonly number[], size?: readonly number[]): Tensor {
    const b: number[] = [];
    const s: number[] = [];
    for (let d = 0; d < this.rank; d++) {
      const dim = this.shape[d];
      const start = begin[d] ?? 0;
      const len = size?.[d] === undefined || size[d] === -1 ? dim - start : size[d];
      if (!Number.isInteger(start) || !Number.isInteger(len) || start < 0 || len < 0 || start + len > dim) {
        throw new Error(
          `slice: begin [${begin.join(',')}] and size [${(size ?? []).join(',')}] are out of range for shape ${formatShape(this.shape)}`,
        );
      }
      b.push(start);
      s.push(len);
    }
    return Tensor.record(sliceForward(this, b, s), 'slice', [this], { begin: b, size: s });
  }

  /** `length` entries along one axis starting at `start` (composite of slice). */
  narrow(axis: number, start: number, length: number): Tensor {
    const ax = normalizeAxis('narrow', axis, this.rank, this.shape);
    const begin = new Array<number>(this.rank).fill(0);
    const size = new Array<number>(this.rank).fill(-1);
    begin[ax] = start;
    size[ax] = length;
    return this.slice(begin, size);
  }

  /** Zero padding; `paddings[d] = [before, after]` (missing trailing axes are not padded). */
  pad(paddings: readonly (readonly [number, number])[]): Tensor {
    if (paddings.length > this.rank) {
      throw new Error(`pad: ${paddings.length} paddings for shape ${formatShape(this.shape)}`);
    }
    const p: [number, number][] = [];
    for (let d = 0; d < this.rank; d++) {
      const [before, after] = paddings[d] ?? [0, 0];
      if (!Number.isInteger(before) || !Number.isInteger(after) || before < 0 || after < 0) {
        throw new Error(`pad: paddings must be non-negative integers, got [${before},${after}] on axis ${d} of shape ${formatShape(this.shape)}`);
      }
      p.push([before, after]);
    }
    return Tensor.record(padForward(this, p), 'pad', [this], { paddings: p });
  }
}

function toTensor(x: TensorOrNumber): Tensor {
  return typeof x === 'number' ? Tensor.scalar(x) : x;
}

function flatten(values: NestedArray[]): number[] {
  const out: number[] = [];
  const walk = (v: NestedArray): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else out.push(v);
  };
  walk(values);
  return out;
}

function nestedShape(values: NestedArray[]): number[] {
  const shape: number[] = [values.length];
  let cur: NestedArray = values[0];
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function inferShape(shape: readonly number[], size: number, from: readonly number[]): number[] {
  const out = shape.slice();
  const unknown = out.indexOf(-1);
  if (unknown !== -1 && out.indexOf(-1, unknown + 1) !== -1) {
    throw new Error(`reshape: only one dimension may be -1 in ${formatShape(shape)}`);
  }
  if (unknown !== -1) {
    const known = out.reduce((n, d, i) => (i === unknown ? n : n * d), 1);
    out[unknown] = known === 0 ? 0 : size / known;
  }
  assertValidShape('reshape', out);
  if (sizeOf(out) !== size) {
    throw new Error(`reshape: cannot reshape shape ${formatShape(from)} (${size} values) to ${formatShape(shape)}`);
  }
  return out;
}
