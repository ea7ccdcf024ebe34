/**
 * The Piscina pool a worker process trains in. Its task file is a small ESM
 * shim (tasks/entry.mjs) that registers tsx inside the thread, because Node 20
 * does not pass `--import tsx` on to worker threads.
 */
import { Piscina } from 'piscina';

export function createTrainingPool(threads: number): Piscina {
  return new Piscina({
    filename: new URL('./tasks/entry.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 60_000,
    // One training task per thread; more jobs than threads wait in the pool's queue.
    concurrentTasksPerWorker: 1,
  });
}
