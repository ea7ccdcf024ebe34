/**
 * Early stopping with Keras's semantics (monitor 'val_loss', minDelta 0,
 * patience 0, mode auto/min/max, baseline, restoreBestWeights).
 *
 * An epoch improves when `current - minDelta` beats the best (min mode:
 * `current + |minDelta| < best`). `wait` counts epochs since the last
 * improvement; training stops when `wait >= patience` (never at epoch 0,
 * as Keras). With a baseline, `wait` resets only on improvements that also
 * beat the baseline. mode 'auto' maximises monitors containing 'acc', 'auc',
 * 'precision' or 'recall', and minimises others.
 *
 * restoreBestWeights (TensorFlow.js leaves it unimplemented; this follows
 * Keras 3): the weights of the best epoch are copied after each improvement
 * and written back when training ends, whether it stopped early or not.
 */
import { SpecError } from '../errors.ts';
import type { Callback, Logs } from './callbacks.ts';

export interface EarlyStoppingConfig {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  baseline?: number;
  restoreBestWeights?: boolean;
}

/** What early stopping needs from a model. */
export interface WeightsOwner {
  stopTraining: boolean;
  getWeights(): Float32Array;
  setWeights(w: Float32Array): void;
}

export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  wait = 0;
  best = Infinity;
  bestEpoch = -1;
  stoppedEpoch = -1;
  bestWeights: Float32Array | null = null;
  private model: WeightsOwner | null = null;

  constructor(config: EarlyStoppingConfig = {}) {
    this.monitor = config.monitor ?? 'val_loss';
    const minDelta = config.minDelta ?? 0;
    if (!Number.isFinite(minDelta)) throw new SpecError('earlyStopping.minDelta', `must be a finite number, got ${minDelta}`);
    this.minDelta = Math.abs(minDelta);
    this.patience = config.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new SpecError('earlyStopping.patience', `must be a non-negative integer, got ${this.patience}`);
    const mode = config.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) throw new SpecError('earlyStopping.mode', `must be "auto", "min" or "max", got ${JSON.stringify(mode)}`);
    this.mode = mode === 'auto' ? (/acc|auc|precision|recall/.test(this.monitor) ? 'max' : 'min') : mode;
    this.baseline = config.baseline;
    this.restoreBestWeights = config.restoreBestWeights ?? false;
  }

  /** Binds the model whose weights to snapshot / restore and whose stopTraining to set. */
  setModel(model: WeightsOwner): void {
    this.model = model;
  }

  private improves(current: number, reference: number): boolean {
    return this.mode === 'min' ? current + this.minDelta < reference : current - this.minDelta > reference;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestEpoch = -1;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: Logs): boolean {
    const current = logs[this.monitor];
    if (current === undefined || Number.isNaN(current)) return false;
    if (this.restoreBestWeights && this.bestWeights === null && this.model) this.bestWeights = this.model.getWeights();
    this.wait++;
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights && this.model) this.bestWeights = this.model.getWeights();
      if (this.baseline === undefined || this.improves(current, this.baseline)) this.wait = 0;
      return false;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      if (this.model) this.model.stopTraining = true;
      return true;
    }
    return false;
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights !== null && this.model) this.model.setWeights(this.bestWeights);
  }
}
