/**
 * The worker role: a BullMQ Worker that takes job ids from the queue. Its main
 * thread does bookkeeping only (the numerical work runs in a Piscina pool), so
 * BullMQ's lock renewal never stalls behind training.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { PrismaClient } from '../db/generated/client.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { TrainingJobData, TrainingQueue } from '../queue/training-queue.ts';

export interface RunningWorker {
  readonly name: string;
  close(graceMs: number): Promise<void>;
}

export interface WorkerDeps {
  queue: TrainingQueue;
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  workerName: string;
}

export async function startTrainingWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const log = deps.logger.child({ worker: deps.workerName });
  const processor = async (job: Job<TrainingJobData>): Promise<void> => {
    const row = await deps.prisma.job.findUnique({ where: { id: job.data.jobId }, select: { id: true, status: true } });
    if (!row) {
      log.warn({ jobId: job.data.jobId }, 'queue entry for a job Postgres does not know; dropping it');
      return;
    }
    // Training jobs are run by the jobs capability (issue 4); until then the worker refuses them plainly.
    throw new UnrecoverableError('this worker cannot run training jobs yet');
  };
  const worker = deps.queue.createWorker(processor, {
    concurrency: deps.config.workerConcurrency,
    lockDurationMs: 30_000,
    stalledIntervalMs: 15_000,
    maxStalledCount: 2,
  }, deps.workerName);
  worker.on('error', (err) => log.error({ err }, 'worker error'));
  void worker.run();
  await worker.waitUntilReady();
  log.info('worker ready');
  return {
    name: deps.workerName,
    async close(graceMs: number) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        worker.close(),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            log.warn({ graceMs }, 'jobs still running after the grace period; forcing the worker closed');
            void worker.close(true).then(resolve, resolve);
          }, graceMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
