import type { WasmMemory } from '../../engine/index.ts';

/** What a helper thread gets for each session (HelperRequest) and answers once (ready / failed). */
export interface HelperInit {
  /** This helper's replica index (1..threads-1; the main thread is 0). */
  index: number;
  threads: number;
  spec: unknown;
  seed: number;
  loss: string;
  /** The shared weights and buffers (SharedArrayBuffer-backed). */
  values: Float32Array;
  bufferValues: Float32Array;
  /** Every replica's gradient array, index 0 the model's own (the reduction target). */
  grads: Float32Array[];
  /** The optimizer config and its shared slots, when the update is split over the threads. */
  optimizer: { config: unknown; slots: Record<string, Float32Array> } | null;
  control: SharedArrayBuffer;
  /** One float64 per thread: each helper's slice loss. */
  losses: SharedArrayBuffer;
  /** Two float64: the learning rate and step number of the current STEP. */
  step: SharedArrayBuffer;
  /** Per-helper error message bytes (ERROR_BYTES each). */
  errors: SharedArrayBuffer;
  /** The batch, shared: inputs, labels, sample weights and (written back) predictions. */
  x: Float32Array;
  y: Float32Array;
  w: Float32Array;
  out: Float32Array;
  xSize: number;
  ySize: number;
  outSize: number;
  /**
   * The main thread's WebAssembly memory when every shared array above lives in it: the
   * helper runs its own kernel instance over it and rebuilds the views there (so its kernels
   * use them in place). Absent: plain SharedArrayBuffers.
   */
  memory?: WasmMemory;
  /** With `memory`: whether the main thread's kernels use relaxed SIMD (the helper's must match, for the same rounding). */
  relaxed?: boolean;
  /**
   * The deferred protocol (ParallelTrainer `protocol: 'deferred'`): per model layer, the whole batch's dz
   * and layer inputs (null where the layer has no parameters, or reads the model's input),
   * every row's loss term, each layer's unit bounds per thread, and each thread's phase times.
   * The helper's replica then writes the model's own gradients (`grads[0]`), its units only.
   */
  deferred?: DeferredInit;
  /**
   * The unit split (ParallelTrainer `protocol: 'unitSplit'`): each thread's part of the output
   * layer's pre-activation (threads arrays of the largest batch x outputs), and the gradient
   * there the calling thread computes. The replica writes the model's own gradients
   * (`grads[0]`), its units only.
   */
  unitSplit?: UnitSplitInit;
  /** For tests (see HelperFault). */
  fault?: HelperFault;
}

export interface DeferredInit {
  dz: (Float32Array | null)[];
  x: (Float32Array | null)[];
  /** Float64 per row of the largest batch. */
  rowLosses: SharedArrayBuffer;
  /** Int32: per deferred layer, threads + 1 unit bounds. */
  unitBounds: SharedArrayBuffer;
  /** Float64: per thread, its last phase A and phase B times (ms). */
  times: SharedArrayBuffer;
  /**
   * When phase A may split the first dense layer's units instead of the rows (COMPUTE_UNITS;
   * deferredGradients.ts, UnitsFirst): its index, and its pre-activation and output for the
   * whole batch ([largest batch, units]): every thread fills its units of the first, then
   * finishes its rows of both; and where the forward's unit bounds start in `unitBounds`.
   */
  units?: { index: number; z: Float32Array; a: Float32Array; boundsAt: number };
}

export interface UnitSplitInit {
  parts: Float32Array[];
  dz2: Float32Array;
}

/**
 * Faults a test can inject into helper 1: at its n-th command (COMPUTE and STEP counted,
 * 1-based) it throws, or exits its thread; or it builds plain SIMD128 kernels whatever the
 * main thread uses (the trainer must refuse it: the threads would round differently); or it
 * sleeps `ms` before each command (a slower vCPU: the deferred protocol gives it fewer rows),
 * or before each command but the update (`slowCompute`).
 */
export type HelperFault = { atCommand: number; kind: 'throw' | 'exit' } | { kind: 'plainKernels' } | { kind: 'slow' | 'slowCompute'; ms: number };

/** How the threads share a batch (ParallelTrainer's README). */
export type ParallelProtocol = 'deferred' | 'rowSplit' | 'unitSplit';

/**
 * A session for a helper thread (new or warm from helperPool.ts). `sameMemory`: the memory is
 * the one of the helper's last session, so it keeps its kernel instance over it.
 */
export type HelperRequest = { type: 'session'; init: HelperInit; sameMemory: boolean };

/**
 * `ready` / `failed`: the session's set-up (`relaxed`: whether the helper's kernels over the
 * shared memory use relaxed SIMD; null: no shared memory). `ended`: the session is over
 * (after EXIT); `clean` when every command succeeded.
 */
export type HelperMessage = { type: 'ready'; relaxed: boolean | null } | { type: 'failed'; message: string } | { type: 'ended'; clean: boolean };
