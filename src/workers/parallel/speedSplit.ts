/**
 * Splits by measured speed, for the deferred protocol (ParallelTrainer, README "Deferred
 * weight gradients"): each thread's share of a batch's rows, and of every layer's output
 * units, in proportion to how fast it did its last shares (an exponential average of its
 * time per unit of work). On a shared VM one vCPU runs 20-40% slower than the other for
 * seconds at a time; an even split makes the fast thread wait for the slow one at every
 * barrier. The results do not depend on the splits (deferred weight gradients), only the
 * time does.
 */

/** Weight of the newest measurement in the average. */
const ALPHA = 0.3;
/** A measurement counts as at most this many times the thread's average. */
const OUTLIER = 3;
/** No thread's share falls below this fraction of an even share (so every thread keeps being measured). */
const MIN_SHARE = 0.25;

export class SpeedSplit {
  /** Per thread, milliseconds per row (phase A) and per whole batch of units (phase B); 0 = not measured yet. */
  private readonly rowCost: Float64Array;
  private readonly unitCost: Float64Array;
  private readonly shares: Float64Array;
  /** The unit shares the last `planUnits` chose. */
  private readonly unitShares: Float64Array;

  constructor(readonly threads: number) {
    this.rowCost = new Float64Array(threads);
    this.unitCost = new Float64Array(threads);
    this.shares = new Float64Array(threads);
    this.unitShares = new Float64Array(threads).fill(1 / threads);
  }

  /** Records that thread `t` took `ms` for `work` rows (phase A) or for the fraction `work` of the units (phase B). */
  record(phase: 'rows' | 'units', t: number, work: number, ms: number): void {
    if (!(work > 0) || !(ms > 0)) return;
    const cost = phase === 'rows' ? this.rowCost : this.unitCost;
    // One long step (a callback saving a checkpoint, the VM pausing the thread) moves the
    // average at most as far as a step 3x its usual length.
    const c = cost[t] === 0 ? ms / work : Math.min(ms / work, OUTLIER * cost[t]);
    cost[t] = cost[t] === 0 ? c : (1 - ALPHA) * cost[t] + ALPHA * c;
  }

  /**
   * Fills `bounds` (length threads + 1) with each thread's first row of a batch of `n` rows
   * (bounds[threads] = n), in multiples of `align` where the batch allows. Even until every
   * thread has been measured.
   */
  rowBounds(n: number, bounds: Int32Array, align = 4): void {
    this.computeShares(this.rowCost);
    fillBounds(this.shares, n, n >= align * this.threads * 2 ? align : 1, bounds);
  }

  /** Chooses each thread's fraction of the units for the next phase B (the same for every layer). */
  planUnits(): void {
    this.computeShares(this.unitCost);
    this.unitShares.set(this.shares);
  }

  /** Fills bounds[offset .. offset + threads] with each thread's first unit of a layer of `units` units, by the planned shares (in multiples of `align` where the layer allows). */
  unitBounds(units: number, bounds: Int32Array, offset: number, align = 1): void {
    fillBounds(this.unitShares, units, units >= align * this.threads * 2 ? align : 1, bounds, offset);
  }

  /** Thread `t`'s planned fraction of the units (what its phase B time is divided by). */
  unitShare(t: number): number {
    return this.unitShares[t];
  }

  private computeShares(cost: Float64Array): void {
    const n = this.threads;
    const measured = cost.every((c) => c > 0);
    let sum = 0;
    for (let t = 0; t < n; t++) {
      this.shares[t] = measured ? 1 / cost[t] : 1;
      sum += this.shares[t];
    }
    const floor = MIN_SHARE / n;
    let total = 0;
    for (let t = 0; t < n; t++) {
      this.shares[t] = Math.max(floor, this.shares[t] / sum);
      total += this.shares[t];
    }
    for (let t = 0; t < n; t++) this.shares[t] /= total;
  }
}

/** Cumulative bounds of `shares` over `n` items, rounded to multiples of `align` (the last bound is n). */
function fillBounds(shares: Float64Array, n: number, align: number, bounds: Int32Array, offset = 0): void {
  let cum = 0;
  bounds[offset] = 0;
  for (let t = 0; t < shares.length - 1; t++) {
    cum += shares[t];
    const b = Math.round((cum * n) / align) * align;
    bounds[offset + t + 1] = Math.min(n, Math.max(bounds[offset + t], b));
  }
  bounds[offset + shares.length] = n;
}
