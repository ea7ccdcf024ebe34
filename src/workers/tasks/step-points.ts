/**
 * What the training tasks (train, gan) share around their loop: the per-step metric points,
 * posted in batches at most every FLUSH_MS; the stop a main thread asks for through the
 * control word; and the mapping of a training error to a failed outcome.
 */
import { EngineError, NonFiniteLossError } from '../../engine/index.ts';
import { ParallelTrainingError } from '../parallel/index.ts';
import { CONTROL, type StepPoint, type TrainMessage, type TrainOutcome } from './messages.ts';

const FLUSH_MS = 200;

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
