/**
 * How far apart the machine's two vCPUs are right now: the round trip of one shared cache
 * line between the calling thread and a worker thread that answers it (both spinning, so
 * each holds a vCPU). On session 9's 2-vCPU EPYC it read either 150-200 ns or 430-615 ns, for
 * tens of seconds or minutes at a time: the host runs the two vCPUs on cores that share a
 * cache, or not. Two threads in lockstep exchange about 1 MB a step (the batch rows, a
 * gradient, the updated weights), and 2-thread training (MLP, batch 128) read x1.80-1.83 of
 * 1 thread at the short round trip and x1.53-1.57 at the long one, with the same ceiling (two
 * independent fits, x1.95-1.98) at both.
 */
import { Worker } from 'node:worker_threads';

// a[0]: the line; odd = a ping, the answer makes it even. -1: park. a[1] = 1: stop.
const ANSWER = `
const { workerData } = require('node:worker_threads');
const a = new Int32Array(workerData);
for (;;) {
  if (Atomics.load(a, 1) === 1) break;
  const v = Atomics.load(a, 0);
  if (v === -1) Atomics.wait(a, 0, -1, 100);
  else if (v & 1) Atomics.store(a, 0, v + 1);
}
`;

export interface CoreTrip {
  /** The median round trip over `rounds` bursts of `ms` milliseconds, in nanoseconds. */
  measure(ms?: number, rounds?: number): number;
  close(): Promise<void>;
}

export async function startCoreTrip(): Promise<CoreTrip> {
  const line = new Int32Array(new SharedArrayBuffer(8));
  Atomics.store(line, 0, -1);
  const worker = new Worker(ANSWER, { eval: true, workerData: line.buffer });
  await new Promise((resolve) => worker.once('online', resolve));
  const burst = (ms: number): number => {
    Atomics.store(line, 0, 0);
    Atomics.notify(line, 0);
    let trips = 0;
    const t = performance.now();
    while (performance.now() - t < ms) {
      const v = trips * 2;
      Atomics.store(line, 0, v + 1);
      while (Atomics.load(line, 0) !== v + 2) {
        // the answer
      }
      trips++;
    }
    const ns = ((performance.now() - t) * 1e6) / trips;
    Atomics.store(line, 0, -1);
    return ns;
  };
  return {
    measure(ms = 10, rounds = 5) {
      const v = Array.from({ length: rounds }, () => burst(ms)).sort((p, q) => p - q);
      return v[Math.floor(rounds / 2)];
    },
    async close() {
      Atomics.store(line, 1, 1);
      Atomics.notify(line, 0);
      await worker.terminate();
    },
  };
}
