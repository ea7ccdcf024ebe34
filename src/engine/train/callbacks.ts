/**
 * fit() callbacks, Keras-style. Any hook may return `true` (or a promise of
 * `true`) to stop training, or set `model.stopTraining = true`; training
 * stops after the current batch (onBatchEnd) or epoch (onEpochEnd).
 */
export type Logs = Record<string, number>;

export interface BatchInfo {
  epoch: number;
  /** Optimizer steps taken so far by this model, including this one. */
  step: number;
}

export type HookResult = void | boolean | Promise<void | boolean>;

/** Calls `f` on every callback in order (awaiting those that return a promise); true if any asked to stop. */
export async function runHooks<C>(callbacks: readonly C[], f: (c: C) => HookResult): Promise<boolean> {
  let stop = false;
  for (const c of callbacks) {
    let r = f(c);
    if (r instanceof Promise) r = await r;
    if (r === true) stop = true;
  }
  return stop;
}

export interface Callback {
  onTrainBegin?(logs: Logs): HookResult;
  onEpochBegin?(epoch: number, logs: Logs): HookResult;
  /** `batch` is the index within the epoch (as Keras); `info.step` is the model's global step. */
  onBatchEnd?(batch: number, logs: Logs, info: BatchInfo): HookResult;
  onEpochEnd?(epoch: number, logs: Logs): HookResult;
  onTrainEnd?(logs: Logs): HookResult;
}

export interface History {
  epoch: number[];
  history: Record<string, number[]>;
  /** Why training ended: all epochs ran, a callback / early stopping asked to stop. */
  stopReason: 'completed' | 'stopped' | 'earlyStopping';
}
