import type { Metric } from './metric.ts';
import { checkShapes } from './checkShapes.ts';

export interface AucOptions {
  /**
   * Omit (default) for the exact ROC AUC over every score seen in the epoch
   * (memory grows with the number of predictions: 4 bytes each). Give a number
   * (Keras' default is 200) for Keras' approximation: confusion counts at
   * evenly spaced thresholds in [0, 1], trapezoidal sum; constant memory,
   * expects probabilities in [0, 1].
   */
  numThresholds?: number;
}

/**
 * ROC AUC over every element of the predictions (Keras `AUC` with
 * `multi_label=False`): for multi-class outputs every (row, class) pair is one
 * binary decision, class-index labels being one-hot encoded first. A label is
 * positive when non-zero. The exact value is the Mann-Whitney statistic
 * P(score of a positive > score of a negative), ties counting one half;
 * with no positives or no negatives the result is 0, as Keras returns.
 */
export class Auc implements Metric {
  readonly kind = 'auc';
  readonly name: string;
  readonly numThresholds: number | undefined;
  private pos: Float32Array = new Float32Array(256);
  private neg: Float32Array = new Float32Array(256);
  private nPos = 0;
  private nNeg = 0;
  private readonly thresholds: Float64Array | null;
  /** Per threshold bucket (Keras mode): positives / negatives whose score is above exactly `b` thresholds. */
  private posHist: Float64Array | null;
  private negHist: Float64Array | null;

  constructor(name = 'auc', o: AucOptions = {}) {
    this.name = name;
    this.numThresholds = o.numThresholds;
    if (o.numThresholds !== undefined) {
      const n = o.numThresholds;
      if (!Number.isInteger(n) || n < 3) throw new RangeError(`auc: numThresholds must be an integer >= 3, got ${n}`);
      const t = new Float64Array(n);
      t[0] = Math.fround(-1e-7);
      for (let i = 1; i < n - 1; i++) t[i] = Math.fround(i / (n - 1));
      t[n - 1] = Math.fround(1 + 1e-7);
      this.thresholds = t;
      this.posHist = new Float64Array(n + 1);
      this.negHist = new Float64Array(n + 1);
    } else {
      this.thresholds = null;
      this.posHist = null;
      this.negHist = null;
    }
  }

  update(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number): void {
    const { width, sparse } = checkShapes(this.kind, yTrue, yPred, batchSize, 'either');
    for (let r = 0; r < batchSize; r++) {
      for (let j = 0; j < width; j++) {
        const i = r * width + j;
        const positive = sparse ? yTrue[r] === j : yTrue[i] !== 0;
        this.add(yPred[i], positive);
      }
    }
  }

  private add(score: number, positive: boolean): void {
    if (this.thresholds !== null) {
      // Number of thresholds strictly below the score.
      const t = this.thresholds;
      let lo = 0;
      let hi = t.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (t[mid] < score) lo = mid + 1;
        else hi = mid;
      }
      (positive ? this.posHist! : this.negHist!)[lo] += 1;
      return;
    }
    if (positive) {
      if (this.nPos === this.pos.length) this.pos = grow(this.pos);
      this.pos[this.nPos++] = score;
    } else {
      if (this.nNeg === this.neg.length) this.neg = grow(this.neg);
      this.neg[this.nNeg++] = score;
    }
  }

  result(): number {
    return this.thresholds !== null ? this.kerasResult() : this.exactResult();
  }

  private exactResult(): number {
    if (this.nPos === 0 || this.nNeg === 0) return 0;
    const p = this.pos.slice(0, this.nPos).sort();
    const n = this.neg.slice(0, this.nNeg).sort();
    let below = 0;
    let wins = 0;
    for (let i = 0; i < p.length; i++) {
      const s = p[i];
      while (below < n.length && n[below] < s) below++;
      let eq = below;
      while (eq < n.length && n[eq] === s) eq++;
      wins += below + 0.5 * (eq - below);
    }
    return wins / (p.length * n.length);
  }

  private kerasResult(): number {
    const t = this.thresholds!;
    const k = t.length;
    const ph = this.posHist!;
    const nh = this.negHist!;
    // tp[i] = positives above threshold i = those above more than i thresholds.
    const tp = new Float64Array(k);
    const fp = new Float64Array(k);
    let sp = 0;
    let sn = 0;
    for (let b = k; b >= 1; b--) {
      sp += ph[b];
      sn += nh[b];
      tp[b - 1] = sp;
      fp[b - 1] = sn;
    }
    let totalPos = 0;
    let totalNeg = 0;
    for (let b = 0; b <= k; b++) { totalPos += ph[b]; totalNeg += nh[b]; }
    let auc = 0;
    const tpr = (i: number): number => (totalPos === 0 ? 0 : tp[i] / totalPos);
    const fpr = (i: number): number => (totalNeg === 0 ? 0 : fp[i] / totalNeg);
    for (let i = 0; i < k - 1; i++) auc += (fpr(i) - fpr(i + 1)) * (tpr(i) + tpr(i + 1)) / 2;
    return auc;
  }

  reset(): void {
    this.nPos = 0;
    this.nNeg = 0;
    this.posHist?.fill(0);
    this.negHist?.fill(0);
  }

  merge(other: Metric): void {
    if (!(other instanceof Auc) || other.numThresholds !== this.numThresholds) throw new TypeError(`cannot merge ${other.kind} into auc with other settings`);
    if (this.thresholds !== null) {
      for (let b = 0; b < this.posHist!.length; b++) { this.posHist![b] += other.posHist![b]; this.negHist![b] += other.negHist![b]; }
      return;
    }
    for (let i = 0; i < other.nPos; i++) this.add(other.pos[i], true);
    for (let i = 0; i < other.nNeg; i++) this.add(other.neg[i], false);
  }
}

function grow(a: Float32Array): Float32Array {
  const b = new Float32Array(a.length * 2);
  b.set(a);
  return b;
}

export function auc(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, batchSize: number, o: AucOptions = {}): number {
  const m = new Auc(undefined, o);
  m.update(yTrue, yPred, batchSize);
  return m.result();
}
