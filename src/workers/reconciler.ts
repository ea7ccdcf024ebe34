/**
 * Postgres is the system of record; the queue is only a scheduler. The
 * reconciler puts back into the queue every job that Postgres says is queued,
 * or running under a lease that has expired (its worker died), and that the
 * queue does not hold: after Redis lost its data, or a crash between the
 * insert and the enqueue.
 */
import type { PrismaClient } from '../db/generated/client.ts';
import { jobsToReconcile } from '../db/repos/jobs.ts';
import type { TrainingQueue } from '../queue/training-queue.ts';
import type { Logger } from '../shared/logger.ts';

export async function reconcileOnce(prisma: PrismaClient, queue: TrainingQueue, log: Logger): Promise<number> {
  const candidates = await jobsToReconcile(prisma);
  if (candidates.length === 0) return 0;
  const live = await queue.liveJobIds();
  let n = 0;
  for (const c of candidates) {
    if (live.has(c.id)) continue;
    await queue.enqueue(c.id);
    n++;
  }
  if (n > 0) log.warn({ reenqueued: n }, 'reconciler put jobs back in the queue that Postgres says should run');
  return n;
}

export function startReconciler(prisma: PrismaClient, queue: TrainingQueue, log: Logger, everyMs: number): { stop(): void } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await reconcileOnce(prisma, queue, log);
    } catch (err) {
      log.error({ err }, 'reconciler pass failed');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
