import type { Optimizer, OptimizerKernels, OptimizerState, Parameter } from './types.ts';

export type { OptimizerKernels } from './types.ts';
import type { LearningRateSchedule } from './learningRateSchedule.ts';
import { ReduceLROnPlateau } from './reduceLROnPlateau.ts';
import { ModelStateError } from '../errors.ts';
import type { ReduceLROnPlateauConfig } from './reduceLROnPlateau.ts';

/** Options every optimizer accepts (Keras names). */
export interface BaseOptimizerOptions {
  /** A number or a schedule of the step counter. */
  learningRate?: number | LearningRateSchedule;
  /** Clip each parameter's gradient to this L2 norm (Keras `clipnorm`). */
  clipnorm?: number;
  /** Clip all gradients together to this global L2 norm (Keras `global_clipnorm`). */
  globalClipnorm?: number;
  /** Clip each gradient element to [-clipvalue, clipvalue] (Keras `clipvalue`). */
  clipvalue?: number;
  /** Reduce the learning rate when a monitored log stops improving. */
  reduceLROnPlateau?: ReduceLROnPlateauConfig;
}

/**
 * Shared machinery: step counter, learning rate (constant, scheduled, reduced
 * on plateau), gradient clipping, lazily allocated slot buffers and state.
 *
 * Clipping never writes into `param.grad`: a step computes one scale per
 * parameter (clipnorm / globalClipnorm) and subclasses apply
 * `clamp(grad[i] * scale, -clipvalue, clipvalue)` element by element.
 * Slots are allocated on a parameter's first step; later steps allocate nothing.
 */
export abstract class BaseOptimizer implements Optimizer {
  abstract readonly type: string;
  /** Number of step() calls so far (PyTorch's `t` during a step is this + 1). */
  protected iterations = 0;
  protected readonly slots = new Map<string, Float32Array>();
  private readonly baseLr: number;
  private readonly schedule: LearningRateSchedule | null;
  readonly plateau: ReduceLROnPlateau | null;
  readonly clipnorm: number | undefined;
  readonly globalClipnorm: number | undefined;
  /** Infinity when not clipping by value. */
  protected readonly clipvalue: number;
  private scales = new Float64Array(0);
  /** Where slot buffers are allocated (see shareSlots). */
  private slotAllocator: (n: number) => Float32Array = (n) => new Float32Array(n);
  /** Gives back a slot buffer the model's memory gave (useKernels); a no-op for any other array. */
  private slotRelease: (x: Float32Array) => void = () => undefined;
  /** Between shareSlots and endSharing: other threads update through the slots, so they are neither replaced nor given back. */
  private sharing = false;

  protected constructor(o: BaseOptimizerOptions, defaultLr: number) {
    const lr = o.learningRate ?? defaultLr;
    this.schedule = typeof lr === 'function' ? lr : null;
    this.baseLr = typeof lr === 'number' ? lr : Number.NaN;
    this.clipnorm = o.clipnorm;
    this.globalClipnorm = o.globalClipnorm;
    this.clipvalue = o.clipvalue ?? Number.POSITIVE_INFINITY;
    this.plateau = o.reduceLROnPlateau ? new ReduceLROnPlateau(o.reduceLROnPlateau) : null;
  }

  /**
   * Uses the model's kernels from now on: slots are (re)allocated with `k.allocate` (values
   * kept) and subclasses pick up their fast loops. Called by `Sequential.compile`.
   */
  useKernels(k: OptimizerKernels): void {
    if (k.allocate === undefined) return;
    this.slotAllocator = k.allocate;
    if (k.release) this.slotRelease = k.release;
    this.moveSlots(k.allocate);
  }

  /** Moves every slot to a new buffer from `allocate` (values kept) and gives the old one back (kept while shared). */
  private moveSlots(allocate: (n: number) => Float32Array): void {
    for (const [key, v] of this.slots) {
      const a = allocate(v.length);
      a.set(v);
      this.slots.set(key, a);
      if (!this.sharing) this.slotRelease(v);
    }
  }

  get learningRate(): number {
    const base = this.schedule ? this.schedule(this.iterations) : this.baseLr;
    return this.plateau ? this.plateau.apply(base) : base;
  }

  get stepCount(): number {
    return this.iterations;
  }

  step(params: readonly Parameter[]): void {
    const lr = this.learningRate;
    this.iterations += 1;
    const t = this.iterations;
    if (this.scales.length < params.length) this.scales = new Float64Array(params.length);
    this.computeClipScales(params);
    for (let k = 0; k < params.length; k++) this.update(params[k], lr, this.scales[k], t);
  }

  /**
   * Update one parameter in place, elements [from, to) only (default: all). `scale` is the
   * clip-by-norm factor (1 when unclipped). Every update is elementwise.
   */
  protected abstract update(p: Parameter, lr: number, scale: number, t: number, from?: number, to?: number): void;

  /**
   * Range stepping, for callers that split one update over threads (data parallelism):
   * `beginRangeStep()` does step()'s bookkeeping (learning rate, step counter) and returns
   * the learning rate and step number to pass to `updateRange`, which updates the elements
   * [from, to) of the parameters laid end to end. Covering [0, total) once, split any way,
   * gives exactly step()'s result. Null (use step()) when clipping by norm, which needs the
   * whole gradient before any element is updated.
   */
  beginRangeStep(): { lr: number; t: number } | null {
    if (this.clipnorm !== undefined || this.globalClipnorm !== undefined) return null;
    const lr = this.learningRate;
    this.iterations += 1;
    return { lr, t: this.iterations };
  }

  updateRange(params: readonly Parameter[], lr: number, t: number, from: number, to: number): void {
    let off = 0;
    for (const p of params) {
      const n = p.value.length;
      const a = Math.max(from, off) - off;
      const b = Math.min(to, off + n) - off;
      if (a < b) this.update(p, lr, 1, t, a, b);
      off += n;
    }
  }

  /**
   * Creates every slot of `params` now, moves all slots into arrays from `allocate` (e.g.
   * SharedArrayBuffers; later slots too) and returns them by key, so that an optimizer of
   * the same config on another thread can `attachSlots` them and `updateRange` its share.
   */
  shareSlots(params: readonly Parameter[], allocate: (n: number) => Float32Array): Record<string, Float32Array> {
    if (this.sharing) throw new ModelStateError('the optimizer\'s slots are already shared with other threads (a live ParallelTrainer): end that sharing first');
    for (const p of params) this.update(p, 0, 1, 1, 0, 0); // allocates the slots, updates nothing
    this.slotAllocator = allocate;
    // The last shared slots (an earlier trainer's, in the model's memory) are given back.
    this.moveSlots(allocate);
    this.sharing = true;
    return Object.fromEntries(this.slots);
  }

  /** The threads that attached the shared slots are done with them (ParallelTrainer.close): they may be replaced and given back again. */
  endSharing(): void {
    this.sharing = false;
  }

  /** Uses another optimizer's shared slots (from `shareSlots`) as this one's. */
  attachSlots(slots: Readonly<Record<string, Float32Array>>): void {
    this.slots.clear();
    for (const [k, v] of Object.entries(slots)) this.slots.set(k, v);
  }

  private computeClipScales(params: readonly Parameter[]): void {
    const s = this.scales;
    s.fill(1, 0, params.length);
    if (this.clipnorm !== undefined) {
      const c = this.clipnorm;
      for (let k = 0; k < params.length; k++) {
        const n = Math.sqrt(sumSquares(params[k].grad));
        s[k] = c / Math.max(n, c);
      }
    } else if (this.globalClipnorm !== undefined) {
      const c = this.globalClipnorm;
      let total = 0;
      for (let k = 0; k < params.length; k++) total += sumSquares(params[k].grad);
      const f = c / Math.max(Math.sqrt(total), c);
      s.fill(f, 0, params.length);
    }
  }

  /** The slot buffer `<param name>.<name>`, allocated (filled with `init`) on first use. */
  protected slot(p: Parameter, name: string, init = 0): Float32Array {
    const key = `${p.name}.${name}`;
    let buf = this.slots.get(key);
    if (buf === undefined) {
      buf = this.slotAllocator(p.value.length);
      buf.fill(init);
      this.slots.set(key, buf);
    } else if (buf.length !== p.value.length) {
      throw new RangeError(
        `optimizer slot ${key} has ${buf.length} elements but parameter ${p.name} has ${p.value.length}`,
      );
    }
    return buf;
  }

  onEpochEnd(logs: Readonly<Record<string, number>>): void {
    this.plateau?.onEpochEnd(logs, this.learningRate);
  }

  getState(): OptimizerState {
    const slots: Record<string, Float32Array> = {};
    for (const [k, v] of this.slots) slots[k] = v.slice();
    const scalars: Record<string, number> = {};
    if (this.plateau) {
      for (const [k, v] of Object.entries(this.plateau.getScalars())) scalars[`plateau.${k}`] = v;
    }
    return { type: this.type, step: this.iterations, learningRate: this.learningRate, slots, scalars };
  }

  /** Throws what `setState(state)` would refuse, changing nothing (a checkpoint checks before it loads any weight). */
  checkState(state: OptimizerState): void {
    if (state.type !== this.type) {
      throw new TypeError(`optimizer state is for ${state.type}, this optimizer is ${this.type}`);
    }
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(`optimizer state step must be a non-negative integer, got ${state.step}`);
    }
    if (this.sharing && !this.sameSlots(state)) {
      throw new ModelStateError(
        `the optimizer state has other slots (${Object.keys(state.slots).length}) than this optimizer (${this.slots.size}), whose slots other threads update: ` +
        'close the ParallelTrainer before restoring this state',
      );
    }
  }

  /** Whether `state` has exactly this optimizer's slots (keys and lengths), so it can be restored in place. */
  private sameSlots(state: OptimizerState): boolean {
    const entries = Object.entries(state.slots);
    return entries.length === this.slots.size && entries.every(([k, v]) => this.slots.get(k)?.length === v.length);
  }

  /**
   * Restore a state from getState(). The learning rate is recomputed from the
   * step, the schedule and the plateau scalars (state.learningRate is informative).
   */
  setState(state: OptimizerState): void {
    this.checkState(state);
    this.iterations = state.step;
    // Into the slots in place where they match: other threads updating ranges through them
    // (attachSlots) see the restored state, and no buffer is left behind.
    if (this.sameSlots(state)) for (const [k, v] of Object.entries(state.slots)) this.slots.get(k)?.set(v);
    else {
      for (const v of this.slots.values()) this.slotRelease(v);
      this.slots.clear();
      for (const [k, v] of Object.entries(state.slots)) {
        const a = this.slotAllocator(v.length);
        a.set(v);
        this.slots.set(k, a);
      }
    }
    if (this.plateau) {
      const p: Record<string, number> = {};
      for (const [k, v] of Object.entries(state.scalars)) if (k.startsWith('plateau.')) p[k.slice(8)] = v;
      this.plateau.setScalars(p);
    }
  }
}

function sumSquares(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * g[i];
  return s;
}
