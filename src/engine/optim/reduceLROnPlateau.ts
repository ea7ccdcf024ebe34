export interface ReduceLROnPlateauConfig {
  /** Key of the epoch logs to watch (default `val_loss`). */
  monitor?: string;
  /** Multiply the learning rate by this on a plateau; must be < 1 (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Never reduce below this (default 0). */
  minLr?: number;
  /** `auto` watches for a maximum when the monitor's name contains `acc`, else a minimum. */
  mode?: 'auto' | 'min' | 'max';
}

export interface ReduceLROnPlateauScalars {
  scale: number;
  best: number;
  hasBest: number;
  wait: number;
  cooldownCounter: number;
}

/**
 * Keras' `ReduceLROnPlateau` callback, kept inside the optimizer so that its
 * counters are checkpointed with it. It does not overwrite the learning rate:
 * it keeps a multiplier `scale` (the product of the reductions so far), and the
 * optimizer uses `max(base(step) * scale, minLr)` once `scale < 1`. With a
 * constant learning rate this is Keras' behaviour; with a schedule it scales
 * the schedule (Keras refuses that combination).
 */
export class ReduceLROnPlateau {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly mode: 'min' | 'max';
  scale = 1;
  /** Best monitored value so far; meaningful only when `hasBest` (kept finite for JSON checkpoints). */
  best = 0;
  hasBest = false;
  wait = 0;
  cooldownCounter = 0;

  constructor(c: ReduceLROnPlateauConfig = {}) {
    this.monitor = c.monitor ?? 'val_loss';
    this.factor = c.factor ?? 0.1;
    this.patience = c.patience ?? 10;
    this.minDelta = Math.abs(c.minDelta ?? 1e-4);
    this.cooldown = c.cooldown ?? 0;
    this.minLr = c.minLr ?? 0;
    const mode = c.mode ?? 'auto';
    this.mode = mode === 'auto' ? (this.monitor.includes('acc') ? 'max' : 'min') : mode;
  }

  /** Apply the reduction (if any) to a base learning rate. */
  apply(baseLr: number): number {
    return this.scale === 1 ? baseLr : Math.max(baseLr * this.scale, this.minLr);
  }

  private improved(current: number): boolean {
    if (!this.hasBest) return true;
    return this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
  }

  /**
   * Feed one epoch's logs; `currentLr` is the rate in force. Returns true when
   * the rate was reduced. A log without the monitored key is ignored, as in Keras.
   */
  onEpochEnd(logs: Readonly<Record<string, number>>, currentLr: number): boolean {
    const current = logs[this.monitor];
    if (current === undefined || Number.isNaN(current)) return false;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.improved(current)) {
      this.best = current;
      this.hasBest = true;
      this.wait = 0;
      return false;
    }
    if (this.cooldownCounter > 0) return false;
    this.wait += 1;
    if (this.wait < this.patience) return false;
    if (!(currentLr > Math.fround(this.minLr))) return false;
    this.scale *= this.factor;
    this.cooldownCounter = this.cooldown;
    this.wait = 0;
    return true;
  }

  getScalars(): ReduceLROnPlateauScalars {
    return {
      scale: this.scale,
      best: this.best,
      hasBest: this.hasBest ? 1 : 0,
      wait: this.wait,
      cooldownCounter: this.cooldownCounter,
    };
  }

  setScalars(s: Partial<ReduceLROnPlateauScalars>): void {
    this.scale = s.scale ?? 1;
    this.best = s.best ?? 0;
    this.hasBest = (s.hasBest ?? 0) !== 0;
    this.wait = s.wait ?? 0;
    this.cooldownCounter = s.cooldownCounter ?? 0;
  }
}
