/**
 * One attempt at a job, as the BullMQ processor runs it on the worker's main
 * thread: take the lease, load the data set and the latest checkpoint, hand
 * the training to a pool thread, record what it reports, and end the attempt
 * in the right state. The main thread never does the math.
 */
import { MessageChannel } from 'node:worker_threads';
import { WaitingError, type Job as BullJob } from 'bullmq';
import type { Piscina } from 'piscina';
import type { PrismaClient } from '../db/generated/client.ts';
import { beginAttempt, failJob, finishAttempt, LeaseLostError } from '../db/repos/jobs.ts';
import { commitCheckpoint, findCheckpoint, type Retention } from '../db/repos/checkpoints.ts';
import { bestRule } from '../db/repos/checkpoint-choice.ts';
import { loadDatasetParts } from '../db/repos/datasets.ts';
import type { TrainingJobData } from '../queue/training-queue.ts';
import type { ResolvedTrainingConfig } from '../shared/training-config.ts';
import type { GanSpec, ResolvedGanTraining } from '../shared/gan-config.ts';
import type { Logger } from '../shared/logger.ts';
import { JobProgress } from './job-progress.ts';
import { CONTROL, type DatasetPayload, type GanTaskInput, type TrainMessage, type TrainOutcome, type TrainTaskInput } from './tasks/messages.ts';

export interface RunJobDeps {
  prisma: PrismaClient;
  pool: Piscina;
  log: Logger;
  workerName: string;
  leaseMs: number;
  /** Jobs this process is running, so a cancel relay or a shutdown can reach them. */
  running: Map<string, RunningAttempt>;
}

export interface RunningAttempt {
  stop(kind: 'cancel' | 'shutdown' | 'abandon'): void;
}

export type AttemptResult = 'succeeded' | 'failed' | 'cancelled' | 'requeued' | 'skipped' | 'abandoned';

export async function runJob(deps: RunJobDeps, bullJob: BullJob<TrainingJobData>, token: string | undefined, signal?: AbortSignal): Promise<AttemptResult> {
  const { prisma, log } = deps;
  const jobId = bullJob.data.jobId;
  const begun = await beginAttempt(prisma, jobId, deps.workerName, deps.leaseMs);
  if (!begun) {
    log.info({ jobId }, 'job is finished, cancelled or unknown; nothing to run');
    return 'skipped';
  }
  const { job, lease, attempt } = begun;
  const jlog = log.child({ jobId, attempt });
  if (attempt > job.maxAttempts) {
    await failJob(prisma, jobId, 'too_many_attempts', `gave up after ${job.maxAttempts} attempts; the earlier ones ended without finishing (a worker crashed or was killed)`);
    jlog.warn('job failed: too many attempts');
    return 'failed';
  }
  if (job.cancelRequestedAt) {
    await finishAttempt(prisma, jobId, lease, 'cancelled', { reason: 'cancelled while the previous attempt was ending' });
    return 'cancelled';
  }

  const isGan = job.type === 'gan';
  const training = job.training as unknown as ResolvedTrainingConfig | ResolvedGanTraining;
  const best = bestRule(training);
  const retention: Retention = { keepLast: training.checkpoints.keepLast, ...(best ? { best } : {}) };
  const samplesPerStep = training.batchSize * (isGan ? (training as ResolvedGanTraining).gan.dSteps : 1);
  const control = new SharedArrayBuffer(4);
  const ctl = new Int32Array(control);
  const stop = (kind: 'cancel' | 'shutdown' | 'abandon') => {
    // A cancel wins over a shutdown: both checkpoint, but a cancelled job must not be requeued.
    const want = kind === 'cancel' ? CONTROL.cancel : kind === 'shutdown' ? CONTROL.shutdown : CONTROL.abandon;
    const now = Atomics.load(ctl, 0);
    if (now === CONTROL.run || (now === CONTROL.shutdown && want !== CONTROL.shutdown)) Atomics.store(ctl, 0, want);
  };
  deps.running.set(jobId, { stop });
  const onAbort = () => stop('cancel');
  signal?.addEventListener('abort', onAbort);

  const progress = new JobProgress({ prisma, jobId, lease, attempt, samplesPerStep, leaseMs: deps.leaseMs, retention, log: jlog, onStop: stop });
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (m: TrainMessage) => progress.handle(m));
  let outcome: TrainOutcome;
  try {
    const dataset = await loadDatasetParts(prisma, job.datasetId);
    if (!dataset) {
      await progress.drain();
      await finishAttempt(prisma, jobId, lease, 'failed', { failureCode: 'dataset_missing', reason: 'the data set was deleted' });
      return 'failed';
    }
    const latest = await findCheckpoint(prisma, jobId, 'latest');
    if (latest) jlog.info({ checkpoint: latest.id, epoch: latest.epoch, step: latest.step }, 'resuming from checkpoint');
    const base = { jobId, dataset: dataset as DatasetPayload, checkpoint: latest ? new Uint8Array(latest.bytes) : null, control, port: port2 };
    // A GAN job's spec is { generator, discriminator } and its training holds the GAN options.
    const input: TrainTaskInput | GanTaskInput = isGan
      ? { ...base, spec: job.spec as unknown as GanSpec, training: training as ResolvedGanTraining }
      : { ...base, spec: job.spec, training: training as ResolvedTrainingConfig };
    outcome = (await deps.pool.run(input, { name: isGan ? 'gan' : 'train', transferList: [port2] })) as TrainOutcome;
    await progress.end;
  } catch (e) {
    progress.stopTimer();
    port1.close();
    deps.running.delete(jobId);
    signal?.removeEventListener('abort', onAbort);
    // An unexpected error (a bug, or the thread died): fail plainly rather than retry forever.
    const message = e instanceof Error ? e.message : String(e);
    jlog.error({ err: e }, 'training task failed');
    await finishAttempt(prisma, jobId, lease, 'failed', { failureCode: 'internal', reason: `training stopped on an internal error: ${message}` }).catch(() => {});
    return 'failed';
  }
  port1.close();
  deps.running.delete(jobId);
  signal?.removeEventListener('abort', onAbort);

  const { leaseLost } = await progress.drain();
  if (leaseLost || outcome.outcome === 'abandoned') return 'abandoned';
  try {
    switch (outcome.outcome) {
      case 'completed':
      case 'earlyStopping':
        await commitCheckpoint(prisma, jobId, lease, { attempt, epoch: outcome.epoch, step: outcome.step, kind: 'final', bytes: outcome.checkpoint, samplePng: outcome.samplePng ?? null, metrics: finiteOrNull(outcome.logs) }, retention);
        await finishAttempt(prisma, jobId, lease, 'succeeded', { reason: outcome.outcome === 'earlyStopping' ? 'early stopping' : `trained ${training.epochs} epochs` });
        jlog.info({ step: outcome.step }, 'job succeeded');
        return 'succeeded';
      case 'cancel':
        await commitCheckpoint(prisma, jobId, lease, { attempt, epoch: outcome.epoch, step: outcome.step, kind: 'stop', bytes: outcome.checkpoint, samplePng: outcome.samplePng ?? null, metrics: finiteOrNull(outcome.logs) }, retention);
        await finishAttempt(prisma, jobId, lease, 'cancelled', { reason: `cancelled at step ${outcome.step}` });
        jlog.info({ step: outcome.step }, 'job cancelled');
        return 'cancelled';
      case 'shutdown':
        await commitCheckpoint(prisma, jobId, lease, { attempt, epoch: outcome.epoch, step: outcome.step, kind: 'stop', bytes: outcome.checkpoint, samplePng: outcome.samplePng ?? null, metrics: finiteOrNull(outcome.logs) }, retention);
        await finishAttempt(prisma, jobId, lease, 'queued', { reason: `worker ${deps.workerName} shut down at step ${outcome.step}; the job waits for a worker`, phase: 'waiting' });
        jlog.info({ step: outcome.step }, 'job checkpointed and returned to the queue');
        if (token) {
          await bullJob.moveToWait(token);
          throw new WaitingError();
        }
        return 'requeued';
      case 'failed':
        await finishAttempt(prisma, jobId, lease, 'failed', { failureCode: outcome.code, reason: outcome.message });
        jlog.info({ code: outcome.code, reason: outcome.message }, 'job failed');
        return 'failed';
    }
  } catch (e) {
    if (e instanceof LeaseLostError) return 'abandoned';
    throw e;
  }
}

function finiteOrNull(logs: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(logs).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}
