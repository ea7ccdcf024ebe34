import type { AdamKernel } from './adamUpdate.ts';

/**
 * The contract between the training loop and the optimizers.
 *
 * An optimizer never sees tensors or the autograd tape: it sees named flat
 * parameter buffers and their gradients (usually views over SharedArrayBuffer),
 * and updates the values in place. That keeps it usable from any thread and
 * trivially serialisable into a checkpoint.
 */
export interface Parameter {
  /** state_dict-style name, e.g. `layers.0.weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
  /** Decoupled weight decay (adamw) and regularisers skip parameters with this false (biases). */
  readonly decay?: boolean;
}

/** Everything an optimizer must save so that a resumed run is bit-identical. */
export interface OptimizerState {
  type: string;
  /** Number of step() calls so far. */
  step: number;
  /** Current learning rate (after schedules and reduceLROnPlateau). */
  learningRate: number;
  /** Per-parameter slot buffers, keyed `<param name>.<slot>` (e.g. `layers.0.weight.exp_avg`). */
  slots: Record<string, Float32Array>;
  /** Small scalars a schedule or plateau reducer keeps (best value, wait counter...). */
  scalars: Record<string, number>;
}

/**
 * Faster equivalents of an optimizer's reference loops (same results bit for bit), and where
 * to allocate its slots, from the model's kernel set (e.g. WebAssembly SIMD over the memory
 * the weights live in). Each is optional; an optimizer uses what it knows.
 */
export interface OptimizerKernels {
  adam?: AdamKernel;
  /** Allocates `n` zeroed floats for a slot. */
  allocate?: (n: number) => Float32Array;
  /** Gives back a slot `allocate` gave (the optimizer calls it when a slot moves or is replaced; other arrays are ignored). */
  release?: (x: Float32Array) => void;
}

export interface Optimizer {
  readonly type: string;
  /** Apply one update from the gradients currently in each parameter's `grad`. */
  step(params: readonly Parameter[]): void;
  /** The learning rate the next step will use. */
  readonly learningRate: number;
  /** Called once per epoch with the epoch's logs, for reduceLROnPlateau. */
  onEpochEnd?(logs: Readonly<Record<string, number>>): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
  /** Faster loops and slot allocation from the model's kernel set (BaseOptimizer implements it). */
  useKernels?(k: OptimizerKernels): void;
  /** Range stepping for data parallelism (BaseOptimizer implements these; see there). */
  beginRangeStep?(): { lr: number; t: number } | null;
  updateRange?(params: readonly Parameter[], lr: number, t: number, from: number, to: number): void;
  shareSlots?(params: readonly Parameter[], allocate: (n: number) => Float32Array): Record<string, Float32Array>;
  attachSlots?(slots: Readonly<Record<string, Float32Array>>): void;
  /** After shareSlots: the other threads are done with the shared slots (until then they are never replaced, and setState of other slots throws). */
  endSharing?(): void;
  /** Throws what setState(state) would refuse, changing nothing. */
  checkState?(state: OptimizerState): void;
}
