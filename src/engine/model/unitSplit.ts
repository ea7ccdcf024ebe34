/**
 * The seam for tensor-parallel training of a one-hidden-layer MLP: each thread owns a range
 * of the hidden layer's units, for the whole batch. Its rows of W1 and b1, its columns of W2,
 * their gradients and their optimizer state are read and written by it alone, so none of
 * them moves between cores; what the threads exchange per step is each one's part of the
 * output layer's pre-activation (batch x outputs) and the gradient there.
 *
 * A step (UnitShard per thread, UnitSplitTail on the thread that owns the loss):
 *   1. every thread: the parameter-free layers before the hidden one (flatten, rescaling, ...)
 *      on all rows; z = x · W1[j0:j1]ᵀ + b1[j0:j1], a = act(z); part = a · W2[:, j0:j1]ᵀ
 *      (+ b2 on thread 0);
 *   2. the tail thread: logits = part 0 + part 1 + ... (in that order), the output
 *      activation, the loss, and dz2 = dL/dlogits for all rows; b2's gradient;
 *   3. every thread, from dz2: dh = dz2 · W2[:, j0:j1], dz = act'(z) ⊙ dh, W1's and b1's
 *      gradients for its units, and W2's for its columns; then the optimizer on what it owns.
 * The threads' order of operations depends only on the unit ranges (unitRange: fixed by the
 * unit count and the thread count), so a fixed seed and thread count give the same floats.
 * The logits are summed in parts, so they differ from one thread's by float rounding.
 *
 * The engine stays thread-agnostic: this file computes parts on given arrays; who runs which
 * part, and the synchronisation, belong to the caller (src/workers/parallel). Scratch comes
 * from `memory` (the model's `allocateScratch`, so disposing the model frees it).
 */
import type { Layer, ForwardContext } from '../layers/types.ts';
import type { MatmulKernelSet } from '../layers/layerEnv.ts';
import type { ActivationName } from '../layers/activations.ts';
import { Scratch, type ScratchMemory } from '../layers/baseLayer.ts';
import { biasActivationBackward, biasActivationForward } from '../layers/biasActivation.ts';
import type { LossHead } from '../train/lossHeads.ts';

/** Where a model allows the unit split: [parameter-free row-by-row layers...] dense dense. */
export interface UnitSplitLayout {
  /** How many layers come before the hidden dense layer (each thread runs them on all rows). */
  readonly prefix: number;
  readonly inSize: number;
  /** The hidden layer's units, and the output layer's. */
  readonly units: number;
  readonly outSize: number;
}

/** Units per block of the split: a thread's rows of W1 and its part of each h row fill whole cache lines. */
const UNIT_ALIGN = 16;

/**
 * The layout, or null when the model is not a one-hidden-layer MLP this split can run: two
 * dense layers last, before them only parameter-free row-by-row layers (flatten, reshape,
 * rescaling, activation), an elementwise hidden activation (not softmax), no regularizer and
 * no buffers, and at least `UNIT_ALIGN` hidden units per thread.
 */
export function unitSplitLayout(layers: readonly Layer[], threads: number): UnitSplitLayout | null {
  const n = layers.length;
  if (n < 2) return null;
  const hidden = layers[n - 2];
  const output = layers[n - 1];
  for (const l of layers.slice(0, n - 2)) {
    if (l.paramCount !== 0 || l.rowwise !== true || l.buffers.length > 0) return null;
  }
  if (hidden.type !== 'dense' || output.type !== 'dense') return null;
  if (hidden.outputActivation === 'softmax') return null;
  if ([hidden, output].some((l) => l.params.some((p) => p.regularizer !== undefined))) return null;
  const units = hidden.outputShape[0];
  if (units < threads * UNIT_ALIGN) return null;
  return { prefix: n - 2, inSize: hidden.inputShape[0], units, outSize: output.outputShape[0] };
}

/** Thread `index` of `threads`' hidden units [j0, j1): even shares on UNIT_ALIGN boundaries. */
export function unitRange(units: number, index: number, threads: number): [number, number] {
  const at = (t: number): number => (t === 0 ? 0 : t === threads ? units : Math.round((units * t) / threads / UNIT_ALIGN) * UNIT_ALIGN);
  return [at(index), at(index + 1)];
}

/** One thread's units of the hidden layer, over a model's (or a replica's) layers. */
export class UnitShard {
  readonly j0: number;
  readonly j1: number;
  private readonly u: number;
  private readonly act: ActivationName;
  private readonly w1: Float32Array;
  private readonly gw1: Float32Array;
  private readonly b1: Float32Array | null;
  private readonly gb1: Float32Array | null;
  private readonly w2: Float32Array;
  private readonly gw2: Float32Array;
  private readonly b2: Float32Array | null;
  /** W2's columns of this thread's units, copied each step (10 x u: small), and their gradient. */
  private readonly w2c: Float32Array;
  private readonly dw2c: Float32Array;
  private readonly z: Scratch;
  private readonly a: Scratch;
  private readonly dh: Scratch;
  private readonly dz: Scratch;
  /** The last forward's hidden input, rows, pre-activation and activation (the backward reads them). */
  private x: Float32Array = new Float32Array(0);
  private rows = 0;
  private zView: Float32Array = new Float32Array(0);
  private aView: Float32Array = new Float32Array(0);

  constructor(
    private readonly layers: readonly Layer[],
    private readonly layout: UnitSplitLayout,
    private readonly kernels: MatmulKernelSet,
    memory: ScratchMemory,
    index: number,
    threads: number,
  ) {
    [this.j0, this.j1] = unitRange(layout.units, index, threads);
    this.u = this.j1 - this.j0;
    const { inSize, outSize } = layout;
    const hidden = layers[layout.prefix];
    const output = layers[layout.prefix + 1];
    this.act = hidden.outputActivation as ActivationName;
    const [w1, b1] = hidden.params;
    this.w1 = w1.value.subarray(this.j0 * inSize, this.j1 * inSize);
    this.gw1 = w1.grad.subarray(this.j0 * inSize, this.j1 * inSize);
    this.b1 = b1 ? b1.value.subarray(this.j0, this.j1) : null;
    this.gb1 = b1 ? b1.grad.subarray(this.j0, this.j1) : null;
    const [w2, b2] = output.params;
    this.w2 = w2.value;
    this.gw2 = w2.grad;
    this.b2 = index === 0 && b2 ? b2.value : null;
    const alloc = (n: number): Float32Array => memory.allocate?.(n) ?? new Float32Array(n);
    this.w2c = alloc(outSize * this.u);
    this.dw2c = alloc(outSize * this.u);
    [this.z, this.a, this.dh, this.dz] = [0, 1, 2, 3].map(() => new Scratch(memory));
  }

  /**
   * Step 1 on `rows` rows of the model's input `x`: this thread's part of the output layer's
   * pre-activation into `part` (rows x outputs; thread 0's includes b2).
   */
  forward(x: Float32Array, rows: number, ctx: ForwardContext, part: Float32Array): void {
    const { prefix, inSize, outSize, units } = this.layout;
    const k = this.kernels;
    let h = x;
    for (let i = 0; i < prefix; i++) h = this.layers[i].forward(h, rows, ctx);
    const u = this.u;
    const z = this.z.get(rows * u);
    k.matmulRowsNT(h, this.w1, z, rows, inSize, u, 0, rows);
    const a = biasActivationForward(k, this.act, z, this.b1, rows, u, this.a);
    for (let o = 0; o < outSize; o++) this.w2c.set(this.w2.subarray(o * units + this.j0, o * units + this.j1), o * u);
    k.matmulRowsNT(a, this.w2c, part, rows, u, outSize, 0, rows);
    const b2 = this.b2;
    if (b2) {
      for (let r = 0, p = 0; r < rows; r++) for (let o = 0; o < outSize; o++, p++) part[p] += b2[o];
    }
    this.x = h;
    this.rows = rows;
    this.zView = z;
    this.aView = a;
  }

  /** Step 3: this thread's gradients (W1 and b1 of its units, W2's columns of them) from the last forward's rows and `dz2`. */
  backward(dz2: Float32Array): void {
    const { inSize, outSize, units } = this.layout;
    const k = this.kernels;
    const rows = this.rows;
    const u = this.u;
    const dh = this.dh.get(rows * u);
    k.matmulRows(dz2, this.w2c, dh, rows, outSize, u, 0, rows);
    this.gb1?.fill(0);
    const dz = biasActivationBackward(k, this.act, this.zView, this.aView, dh, this.gb1, rows, u, this.dz, false);
    k.matmulRowsTN(dz, this.x, this.gw1, u, rows, inSize, 0, u);
    k.matmulRowsTN(dz2, this.aView, this.dw2c, outSize, rows, u, 0, outSize);
    for (let o = 0; o < outSize; o++) this.gw2.set(this.dw2c.subarray(o * u, (o + 1) * u), o * units + this.j0);
  }

  /**
   * The flat parameter elements this thread updates, as [from, to) pairs: W1's rows and b1's
   * elements of its units, W2's columns of them row by row, and (thread 0) b2. `offsetOf`
   * gives a parameter array's first element in the model's flat storage.
   */
  ranges(offsetOf: (p: Float32Array) => number): [number, number][] {
    const { prefix, inSize, outSize, units } = this.layout;
    const [w1, b1] = this.layers[prefix].params;
    const [w2, b2] = this.layers[prefix + 1].params;
    const out: [number, number][] = [[offsetOf(w1.value) + this.j0 * inSize, offsetOf(w1.value) + this.j1 * inSize]];
    if (b1) out.push([offsetOf(b1.value) + this.j0, offsetOf(b1.value) + this.j1]);
    for (let o = 0; o < outSize; o++) out.push([offsetOf(w2.value) + o * units + this.j0, offsetOf(w2.value) + o * units + this.j1]);
    if (this.b2 && b2) out.push([offsetOf(b2.value), offsetOf(b2.value) + outSize]);
    return out;
  }
}

/** Step 2, on the thread that owns the loss: the whole batch's logits, output, loss and dz2. */
export class UnitSplitTail {
  private readonly act: ActivationName;
  private readonly gb2: Float32Array | null;
  private readonly z: Scratch;
  private readonly a: Scratch;
  private readonly g: Scratch;
  private readonly dz: Scratch;

  constructor(
    layers: readonly Layer[],
    private readonly layout: UnitSplitLayout,
    private readonly kernels: MatmulKernelSet,
    memory: ScratchMemory,
    private readonly lossHead: LossHead,
  ) {
    const output = layers[layout.prefix + 1];
    this.act = output.outputActivation as ActivationName;
    this.gb2 = output.params[1]?.grad ?? null;
    [this.z, this.a, this.g, this.dz] = [0, 1, 2, 3].map(() => new Scratch(memory));
  }

  /**
   * Sums the threads' parts into the logits, and returns the batch loss (Keras: the weighted
   * per-sample losses summed, over `rows`), the output (for metrics) and dz2 (b2's gradient too).
   */
  run(parts: readonly Float32Array[], y: Float32Array, rows: number, weights: Float32Array | null): { loss: number; output: Float32Array; dz2: Float32Array } {
    const n = rows * this.layout.outSize;
    const outSize = this.layout.outSize;
    const z = this.z.get(n);
    z.set(parts[0].subarray(0, n));
    for (let t = 1; t < parts.length; t++) {
      const p = parts[t];
      for (let i = 0; i < n; i++) z[i] += p[i];
    }
    const output = biasActivationForward(this.kernels, this.act, z, null, rows, outSize, this.a);
    const fused = this.lossHead.fromLogits;
    const g = this.g.get(n);
    const sum = this.lossHead.compute(fused ? z : output, y, rows, outSize, outSize, weights, g, rows);
    this.gb2?.fill(0);
    const dz2 = biasActivationBackward(this.kernels, this.act, z, output, g, this.gb2, rows, outSize, this.dz, fused);
    return { loss: sum / rows, output, dz2 };
  }
}
