/**
 * The Piscina pool a worker process trains in. The task file is picked by
 * this module's own extension, so the same code runs under tsx (.ts) and from
 * compiled output (.js); under tsx the threads load tsx too.
 */
import { Piscina } from 'piscina';

export function createTrainingPool(threads: number): Piscina {
  const ts = import.meta.url.endsWith('.ts');
  const execArgv = [...process.execArgv];
  if (ts && !execArgv.some((a, i) => a.includes('tsx') && (execArgv[i - 1] === '--import' || a.startsWith('--import')))) {
    execArgv.push('--import', 'tsx');
  }
  return new Piscina({
    filename: new URL(`./tasks/entry.${ts ? 'ts' : 'js'}`, import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 60_000,
    execArgv,
    // One training task per thread; more jobs than threads wait in the pool's queue.
    concurrentTasksPerWorker: 1,
  });
}
