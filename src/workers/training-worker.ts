/**
 * The worker role: a BullMQ Worker that takes job ids from the queue and runs
 * each attempt (run-job.ts) on a Piscina pool. Its main thread does
 * bookkeeping only, so BullMQ's lock renewal never stalls behind training.
 * It listens for cancel requests from any API process, reconciles the queue
 * with Postgres, and on shutdown checkpoints its running jobs and puts them
 * back in the queue.
 */
import type { PrismaClient } from '../db/generated/client.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { TrainingQueue } from '../queue/training-queue.ts';
import type { CancelRelay } from '../queue/cancel-relay.ts';
import { createTrainingPool } from './pool.ts';
import { runJob, type RunningAttempt } from './run-job.ts';
import { startReconciler } from './reconciler.ts';

export interface RunningWorker {
  readonly name: string;
  /** Jobs this process is training now. */
  readonly running: ReadonlyMap<string, RunningAttempt>;
  close(graceMs: number): Promise<void>;
}

export interface WorkerDeps {
  queue: TrainingQueue;
  cancelRelay: CancelRelay;
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  workerName: string;
}

export async function startTrainingWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const log = deps.logger.child({ worker: deps.workerName });
  const pool = createTrainingPool(deps.config.workerConcurrency);
  const running = new Map<string, RunningAttempt>();
  const worker = deps.queue.createWorker(
    (job, token, signal) => runJob({ prisma: deps.prisma, pool, log, workerName: deps.workerName, leaseMs: deps.config.leaseMs, running }, job, token, signal),
    {
      concurrency: deps.config.workerConcurrency,
      lockDurationMs: deps.config.lockMs,
      stalledIntervalMs: Math.max(500, Math.floor(deps.config.lockMs / 2)),
      // Attempts are counted in Postgres; BullMQ must never fail a job for stalling.
      maxStalledCount: 1_000_000,
    },
    deps.workerName,
  );
  worker.on('error', (err) => log.error({ err }, 'worker error'));
  await deps.cancelRelay.subscribe((jobId) => {
    const r = running.get(jobId);
    if (r) {
      log.info({ jobId }, 'cancel request received');
      r.stop('cancel');
    }
  });
  const reconciler = startReconciler(deps.prisma, deps.queue, log, deps.config.reconcileMs);
  void worker.run();
  await worker.waitUntilReady();
  log.info({ threads: deps.config.workerConcurrency }, 'worker ready');

  return {
    name: deps.workerName,
    running,
    async close(graceMs: number) {
      reconciler.stop();
      for (const r of running.values()) r.stop('shutdown');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        worker.close(),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            log.warn({ graceMs }, 'jobs still running after the grace period; closing anyway (they resume from their last checkpoint)');
            void worker.close(true).then(resolve, resolve);
          }, graceMs);
        }),
      ]);
      clearTimeout(timer);
      await pool.destroy();
    },
  };
}
