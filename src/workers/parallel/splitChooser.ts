/**
 * Which way the deferred protocol splits phase A (ParallelTrainer, README "Session 13"): by
 * rows (each thread the whole forward of its rows) or by the first dense layer's units (each
 * thread its units of every row, then its rows from there). Both give the 1-thread weights
 * bit for bit, so the choice changes only the speed, and which is faster depends on where the
 * host runs the two vCPUs: on cores that share a cache the row split was ahead by 1-9% at
 * batch 128; on cores that do not, the unit split moves far less data between them and ran
 * at x1.37-1.57 of one thread where the row split fell to x1.07-1.19 (session 13's Zen 4
 * EPYC). The placement changes for minutes at a time while a job trains, so the trainer
 * measures.
 *
 * It runs the row split first, and after `firstTry` steps tries the other for `probe` steps;
 * the lower quartile of the try's step times (its first `warm` refill the caches the other
 * split left) against that of as many steps just before it decides which runs on. The row
 * split is preferred: the unit split takes over only when it is faster by more than `margin`,
 * and gives way to a row split that is no slower. A try that changes nothing makes the next
 * one wait twice as long (2 x `exploreEvery`); a change brings it back to `exploreEvery`.
 * Lower quartiles: a step that waited for a checkpoint, a validation pass or another fit's
 * turn does not decide anything.
 */
export type PhaseASplit = 'rows' | 'units';

export interface SplitChooserOptions {
  /** Steps of the chosen split before the next try of the other (the first try comes after `firstTry`). */
  exploreEvery: number;
  firstTry: number;
  /** Steps a try runs, the first `warm` of them not counted. */
  probe: number;
  warm: number;
  /** The unit split must be this much faster (a fraction of the step) to take over from the row split. */
  margin: number;
}

export const DEFAULT_SPLIT_CHOOSER: SplitChooserOptions = { exploreEvery: 240, firstTry: 60, probe: 32, warm: 4, margin: 0.08 };

/**
 * A try that changes nothing doubles the wait for the next, up to this many times
 * `exploreEvery` (so a change of the vCPUs' placement is still seen within ~500 steps, a
 * second or so of a job at batch 128).
 */
const MAX_BACKOFF = 2;

export class SplitChooser {
  /** The split that runs between tries. */
  private chosen: PhaseASplit;
  private steps = 0;
  /** Steps left in the running try (0: none). */
  private trying = 0;
  private triedOnce = false;
  private backoff = 1;
  private readonly recent: number[] = [];
  private readonly tried: number[] = [];
  /** How many times each split has been chosen after a try (for tests and the bench). */
  readonly switches = { rows: 0, units: 0 };

  constructor(first: PhaseASplit = 'rows', private readonly o: SplitChooserOptions = DEFAULT_SPLIT_CHOOSER) {
    this.chosen = first;
  }

  /** The split the next step runs. */
  next(): PhaseASplit {
    return this.trying > 0 ? other(this.chosen) : this.chosen;
  }

  /** The split that runs between tries. */
  get current(): PhaseASplit {
    return this.chosen;
  }

  /** Records the step that just ran (`next()` chose its split) and how long it took, in ms. */
  record(ms: number): void {
    if (this.trying > 0) {
      if (this.o.probe - this.trying >= this.o.warm) this.tried.push(ms);
      if (--this.trying > 0) return;
      this.decide();
      return;
    }
    this.recent.push(ms);
    if (this.recent.length > this.o.probe - this.o.warm) this.recent.shift();
    this.steps++;
    if (this.steps >= (this.triedOnce ? this.o.exploreEvery * this.backoff : this.o.firstTry)) {
      this.triedOnce = true;
      this.trying = this.o.probe;
    }
  }

  /** After a try: the tried split takes over if it beats the chosen one (by the margin when it is the unit split). */
  private decide(): void {
    const tried = other(this.chosen);
    const t = this.tried.length > 0 ? lowQuartile(this.tried) : Number.POSITIVE_INFINITY;
    const c = this.recent.length > 0 ? lowQuartile(this.recent) : Number.POSITIVE_INFINITY;
    if (tried === 'units' ? t < c * (1 - this.o.margin) : t <= c) {
      this.chosen = tried;
      this.switches[tried]++;
      this.recent.splice(0, this.recent.length, ...this.tried);
      this.backoff = 1;
    } else {
      this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
    }
    this.tried.length = 0;
    this.steps = 0;
  }
}

function other(s: PhaseASplit): PhaseASplit {
  return s === 'rows' ? 'units' : 'rows';
}

/** The lower quartile: the steps the machine ran without a hiccup (a few slow ones, after a pause or a checkpoint, do not count). */
function lowQuartile(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 4)];
}
