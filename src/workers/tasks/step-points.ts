/**
 * What the training tasks (train, gan) share around their loop: the per-step metric points,
 * posted in batches at most every FLUSH_MS; the stop a main thread asks for through the
 * control word; and the mapping of a training error to a failed outcome.
 */
import { EngineError, NonFiniteLossError } from '../../engine/index.ts';
import { ParallelTrainingError } from '../parallel/index.ts';
import { CONTROL, type StepPoint, type TrainMessage, type TrainOutcome } from './messages.ts';

const FLUSH_MS = 200;

/** The most `loss` points a train job records in an epoch by the stride (see LossCadence). */
const LOSS_POINTS_PER_EPOCH = 200;

/** A slow job records a `loss` point at least this often, whatever the stride. */
const POINT_AT_LEAST_MS = 1000;

/**
 * Which steps of an epoch a train job records its `loss` (the running mean over the epoch so
 * far) at: every stride-th, the epoch's last, the step a stop came at, and the first step at
 * least POINT_AT_LEAST_MS after the last point (the job's progress, rate and ETA move with
 * the points). The stride is the job's `training.lossEverySteps`, else every step when an
 * epoch has at most LOSS_POINTS_PER_EPOCH and ceil(steps / LOSS_POINTS_PER_EPOCH) above. A
 * fast job's steps come thousands a second (batch 32 on 2 threads: 1,700), and each point is a
 * row the service's database writes on the cores training runs on: on 2 vCPUs that cost a
 * 2-thread batch-32 job about a fifth of its speed. The stride depends only on the epoch's
 * length, so a resumed attempt records the same stride steps as an uninterrupted run.
 */
export class LossCadence {
  private readonly stride: number;
  private last: number;

  constructor(private readonly stepsPerEpoch: number, every: number | undefined, now = Date.now()) {
    this.stride = every ?? Math.max(1, Math.ceil(stepsPerEpoch / LOSS_POINTS_PER_EPOCH));
    this.last = now;
  }

  /** Whether the step of batch `batch` (0-based within its epoch), ending at `now`, records a point; `stop`: a stop was asked for there. */
  due(batch: number, stop: boolean, now: number): boolean {
    const due = (batch + 1) % this.stride === 0 || batch + 1 === this.stepsPerEpoch || stop || now - this.last >= POINT_AT_LEAST_MS;
    if (due) this.last = now;
    return due;
  }
}

export class StepPoints {
  private pending: StepPoint[] = [];
  private lastFlush = Date.now();

  constructor(private readonly post: (m: TrainMessage) => void) {}

  /** Records a step's values; posts the batch when FLUSH_MS have passed since the last. */
  add(point: StepPoint): void {
    this.pending.push(point);
    if (Date.now() - this.lastFlush >= FLUSH_MS) this.flush();
  }

  /** Posts what is pending (before an epoch's or the run's end messages, which must follow its steps). */
  flush(): void {
    if (this.pending.length > 0) this.post({ type: 'steps', points: this.pending });
    this.pending = [];
    this.lastFlush = Date.now();
  }
}

export type StopKind = 'cancel' | 'shutdown' | 'abandoned';

/** The stop the main thread has asked for, if any (checked after every step). */
export function requestedStop(control: Int32Array): StopKind | undefined {
  const c = Atomics.load(control, 0);
  if (c === CONTROL.run) return undefined;
  return c === CONTROL.cancel ? 'cancel' : c === CONTROL.shutdown ? 'shutdown' : 'abandoned';
}

/** A training error as a failed outcome (a non-finite loss names its step), or undefined for anything else (rethrown). */
export function failedOutcome(e: unknown, epoch: number, step: number): TrainOutcome | undefined {
  if (e instanceof NonFiniteLossError) return { outcome: 'failed', code: 'non_finite_loss', message: e.message, epoch: e.epoch, step: e.step };
  if (e instanceof EngineError || e instanceof ParallelTrainingError) return { outcome: 'failed', code: e.code, message: e.message, epoch, step };
  return undefined;
}
