/**
 * The bookkeeping for one running attempt, on the worker's main thread: it
 * takes the training thread's messages in order and turns them into Postgres
 * writes — metric points in batches, progress and lease heartbeats about once
 * a second, checkpoints as they come — all under the attempt's lease. It also
 * notices a cancel request recorded in Postgres, and a lost lease.
 */
import type { Prisma, PrismaClient } from '../db/generated/client.ts';
import { LeaseLostError, recordProgress } from '../db/repos/jobs.ts';
import { writeMetrics, type MetricPointInput } from '../db/repos/metrics.ts';
import { commitCheckpoint, type Retention } from '../db/repos/checkpoints.ts';
import type { Logger } from '../shared/logger.ts';
import type { TrainMessage } from './tasks/messages.ts';

export interface ProgressOptions {
  prisma: PrismaClient;
  jobId: string;
  lease: string;
  attempt: number;
  /** Samples one step consumes (the batch size; batchSize x dSteps for a GAN), for the rate and the ETA. */
  samplesPerStep: number;
  leaseMs: number;
  retention: Retention;
  log: Logger;
  /** Called when Postgres says the job should stop: a cancel request, or the lease is gone. */
  onStop(kind: 'cancel' | 'abandon'): void;
}

const FLUSH_EVERY_MS = 1000;
const MAX_BUFFERED_POINTS = 2000;

/** JSON has no NaN or Infinity: latest metrics keep them as strings, never as null. */
export function jsonNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

export class JobProgress {
  private chain: Promise<void> = Promise.resolve();
  private points: MetricPointInput[] = [];
  private timer: NodeJS.Timeout;
  private ended!: () => void;
  readonly end: Promise<void>;
  private leaseLost = false;
  private failure: unknown;

  private epochs = 0;
  private stepsPerEpoch = 0;
  private epoch = 0;
  private step = 0;
  /** (time, step) samples for the rate: the first of the window and the latest. */
  private rateFrom: { time: number; step: number } | undefined;
  private rateTo: { time: number; step: number } | undefined;
  private latest: Record<string, number | string> = {};
  private phase = 'loading data';
  private dirty = true;
  /** The newest checkpoint not yet committed; a newer one replaces it (only the latest matters for resuming). */
  private pendingCheckpoint: Extract<TrainMessage, { type: 'checkpoint' }> | undefined;

  constructor(private readonly o: ProgressOptions) {
    this.end = new Promise((resolve) => (this.ended = resolve));
    this.timer = setInterval(() => this.enqueue(() => this.flush()), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  setPhase(phase: string): void {
    this.phase = phase;
    this.dirty = true;
  }

  /** Messages are handled strictly in order; a failed write stops further writes and surfaces in `drain`. */
  handle(m: TrainMessage): void {
    if (m.type === 'checkpoint' && m.keep) {
      // A best epoch held back by the checkpoint interval: never coalesced away.
      this.enqueue(() => this.commit(m));
      return;
    }
    if (m.type === 'checkpoint') {
      // Coalesce: when commits fall behind (short epochs, a slow database), only the newest
      // is written. Each one is committed at its own place in the chain, after the step
      // points that came before it: committing a newer checkpoint from an older one's turn
      // would write it before its own steps' metrics, and a crash then would lose them.
      this.pendingCheckpoint = m;
      this.enqueue(() => this.commitPending(m));
      return;
    }
    this.enqueue(() => this.apply(m));
  }

  /** Commits `target` if it is still the newest checkpoint (a newer one commits in its own turn); with no target, whatever is pending. */
  private async commitPending(target?: Extract<TrainMessage, { type: 'checkpoint' }>): Promise<void> {
    const m = this.pendingCheckpoint;
    if (!m || (target !== undefined && m !== target)) return;
    this.pendingCheckpoint = undefined;
    await this.commit(m);
  }

  private async commit(m: Extract<TrainMessage, { type: 'checkpoint' }>): Promise<void> {
    // Every metric point up to now (so up to the checkpoint's step) is written first: a run
    // resumed from this checkpoint never re-reports the steps before it.
    await this.flushPoints();
    const info = await commitCheckpoint(this.o.prisma, this.o.jobId, this.o.lease, {
      attempt: this.o.attempt,
      epoch: m.epoch,
      step: m.step,
      kind: m.kind,
      bytes: m.bytes,
      samplePng: m.samplePng ?? null,
      metrics: Object.fromEntries(Object.entries(m.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null])),
    }, this.o.retention);
    this.o.log.debug({ jobId: this.o.jobId, checkpoint: info.id, epoch: m.epoch, step: m.step, bytes: info.size }, 'checkpoint committed');
  }

  private enqueue(f: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.leaseLost || this.failure) return;
      try {
        // The embedded database runs queries synchronously on this thread; let requests in between writes.
        await new Promise((r) => setImmediate(r));
        await f();
      } catch (e) {
        if (e instanceof LeaseLostError) {
          this.leaseLost = true;
          this.o.log.warn({ jobId: this.o.jobId }, 'lease lost: a newer attempt holds this job; stopping this one');
          this.o.onStop('abandon');
        } else {
          this.failure = e;
        }
      }
    });
  }

  private async apply(m: TrainMessage): Promise<void> {
    switch (m.type) {
      case 'begin':
        this.epochs = m.epochs;
        this.stepsPerEpoch = m.stepsPerEpoch;
        this.phase = 'training';
        this.dirty = true;
        return;
      case 'steps':
        for (const p of m.points) {
          for (const [series, value] of Object.entries(p.values)) {
            this.points.push({ series, step: p.step, epoch: p.epoch, value, time: new Date(p.time) });
            this.latest[series] = jsonNumber(value);
          }
          this.rateFrom ??= { time: p.time, step: p.step - 1 };
          this.rateTo = { time: p.time, step: p.step };
          this.step = p.step;
          this.epoch = p.epoch;
        }
        this.dirty = true;
        if (this.points.length >= MAX_BUFFERED_POINTS) await this.flushPoints();
        return;
      case 'epoch':
        for (const [k, v] of Object.entries(m.logs)) {
          const series = k.startsWith('val_') ? k : `epoch_${k}`;
          this.points.push({ series, step: m.step, epoch: m.epoch, value: v, time: new Date(m.time) });
          this.latest[series] = jsonNumber(v);
        }
        this.epoch = m.epoch + 1;
        this.dirty = true;
        return;
      case 'checkpoint':
        return;
      case 'end':
        await this.commitPending();
        await this.flush();
        this.ended();
        return;
    }
  }

  private async flushPoints(): Promise<void> {
    if (this.points.length === 0) return;
    const batch = this.points;
    this.points = [];
    await writeMetrics(this.o.prisma, this.o.jobId, this.o.lease, batch);
  }

  /** Rate over the last stretch of steps, in samples per second. */
  private samplesPerSecond(): number | null {
    if (!this.rateFrom || !this.rateTo || this.rateTo.time <= this.rateFrom.time) return null;
    return ((this.rateTo.step - this.rateFrom.step) * this.o.samplesPerStep * 1000) / (this.rateTo.time - this.rateFrom.time);
  }

  progress(): Prisma.InputJsonValue {
    const totalSteps = this.epochs * this.stepsPerEpoch;
    const sps = this.samplesPerSecond();
    const remainingSteps = Math.max(0, totalSteps - this.step);
    return {
      epoch: Math.min(this.epoch, this.epochs),
      epochs: this.epochs,
      step: this.step,
      steps: totalSteps,
      samplesPerSecond: sps === null ? null : Math.round(sps),
      etaSeconds: sps && sps > 0 ? Math.round((remainingSteps * this.o.samplesPerStep) / sps) : null,
    };
  }

  private async flush(): Promise<void> {
    await this.flushPoints();
    if (!this.dirty) {
      // Still a heartbeat: the lease must not run out while a long step or validation runs.
      const r = await recordProgress(this.o.prisma, this.o.jobId, this.o.lease, { leaseMs: this.o.leaseMs });
      if (r.cancelRequested) this.o.onStop('cancel');
      return;
    }
    this.dirty = false;
    const r = await recordProgress(this.o.prisma, this.o.jobId, this.o.lease, {
      phase: this.phase,
      progress: this.progress(),
      latestMetrics: this.latest,
      leaseMs: this.o.leaseMs,
    });
    // Restart the rate window so the figure tracks recent speed.
    if (this.rateTo) this.rateFrom = this.rateTo;
    if (r.cancelRequested) this.o.onStop('cancel');
  }

  /** Waits for every message to be written; throws what a write threw (other than a lost lease). */
  async drain(): Promise<{ leaseLost: boolean }> {
    clearInterval(this.timer);
    await this.chain;
    if (this.failure) throw this.failure;
    return { leaseLost: this.leaseLost };
  }

  stopTimer(): void {
    clearInterval(this.timer);
  }
}
