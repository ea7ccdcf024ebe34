/**
 * Which epochs end with a checkpoint posted to the service (`training.checkpoints`).
 *
 * A checkpoint costs the training thread its serialisation and the service a database write
 * of the weights and the optimizer state. With epochs of a fraction of a second, one each
 * epoch slowed a 2-thread Fashion-MNIST job by about 13% on 2 vCPUs (the write competes with
 * the training threads). So an epoch's checkpoint is posted only when `minIntervalSeconds`
 * have passed since the last one posted (the first: since training began), and what is
 * skipped can cost nothing but resume granularity:
 *
 * - The best epoch by the job's rule (`bestMetric`, `mode`; the service keeps the best) is
 *   not skipped: an epoch that is the best so far is serialised and held, and posted before
 *   the next checkpoint that goes out, unless a better epoch replaced it first. What is
 *   still held when training ends, stops or fails is posted then (`flush`). So the best
 *   checkpoint is the one every-epoch checkpoints would have given, except after a crash of
 *   the worker, which loses what was held (at most one interval of training). Serialising
 *   each improving epoch stays on the training thread (about 1.5 ms per MB of
 *   checkpoint); the post and the database write are what is saved. A checkpoint over
 *   HOLD_LIMIT_BYTES is posted at once instead of held (as every epoch would).
 * - A stop (cancel, shutdown) and the end of training checkpoint whatever this says.
 *
 * `minIntervalSeconds` 0, and jobs stored before the option existed, post every epoch.
 */
import { atLeastAsGood, type BestRule } from '../../db/repos/checkpoint-choice.ts';
import type { TrainMessage } from './messages.ts';

export type EpochCheckpoint = Extract<TrainMessage, { type: 'checkpoint' }>;

/** When an epoch's checkpoint is due: `minIntervalSeconds` after the last one taken (or the start). */
export class CheckpointCadence {
  private last: number;
  private readonly minMs: number;

  constructor(minIntervalSeconds: number | undefined, now: number = performance.now()) {
    this.minMs = (minIntervalSeconds ?? 0) * 1000;
    this.last = now;
  }

  /** Whether the epoch ending now gets a checkpoint; if so, it counts as the last one taken. */
  due(now: number = performance.now()): boolean {
    if (now - this.last < this.minMs) return false;
    this.last = now;
    return true;
  }
}

/** The largest checkpoint held in memory for later (64 MiB: ~5M parameters with Adam's state). */
export const HOLD_LIMIT_BYTES = 64 * 2 ** 20;

export class EpochCheckpoints {
  private held: EpochCheckpoint | undefined;
  private bestValue: number | undefined;

  /**
   * `holdLimitBytes`: a best epoch's checkpoint larger than this is posted at once rather than
   * held (a second copy of a large model's state is not kept in the training thread's memory,
   * which admission's estimate does not count).
   */
  constructor(
    private readonly cadence: Pick<CheckpointCadence, 'due'>,
    private readonly best: BestRule | undefined,
    private readonly holdLimitBytes: number = HOLD_LIMIT_BYTES,
  ) {}

  /**
   * At an epoch's end: the checkpoints to post now, oldest first (none, this epoch's, or a
   * held best epoch's and this one's). `take` serialises the model; it is called only when
   * this epoch is posted or held.
   */
  onEpochEnd(epoch: number, step: number, metrics: Record<string, number>, take: () => Pick<EpochCheckpoint, 'bytes' | 'samplePng'>): EpochCheckpoint[] {
    const improved = this.improves(metrics);
    const make = (): EpochCheckpoint => ({ type: 'checkpoint', kind: 'epoch', epoch, step, metrics, ...take() });
    if (this.cadence.due()) {
      // An improving epoch supersedes the held one, which is no longer the best.
      const out = this.held && !improved ? [{ ...this.held, keep: true as const }, make()] : [make()];
      this.held = undefined;
      return out;
    }
    if (!improved) return [];
    const c = make();
    // Either way it supersedes what was held.
    this.held = undefined;
    if (c.bytes.length > this.holdLimitBytes) return [{ ...c, keep: true }];
    this.held = c;
    return [];
  }

  /**
   * At the end of training, a stop or a failure: the held best epoch, unless it is the one at
   * `coveredStep` (the final checkpoint, when it holds that epoch's weights).
   */
  flush(coveredStep?: number): EpochCheckpoint[] {
    const h = this.held;
    this.held = undefined;
    return h && h.step !== coveredStep ? [{ ...h, keep: true }] : [];
  }

  /** Whether `metrics` is the best so far by the rule (ties go to the later epoch, as the service chooses). */
  private improves(metrics: Record<string, number>): boolean {
    if (!this.best) return false;
    const v = metrics[this.best.metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) return false;
    const better = this.bestValue === undefined || atLeastAsGood(v, this.bestValue, this.best.mode);
    if (better) this.bestValue = v;
    return better;
  }
}
