/**
 * The helper threads that trainers on this thread have finished with, kept for the next
 * trainer. A new helper loads its modules through tsx (about 0.5 s on a 2-vCPU VM) and then
 * compiles its code again during the first seconds of training, while the calling thread
 * waits for it at every step; a warm one starts at once, compiled. It also keeps the blocks
 * its replicas took from the shared memory: they sit on its own arena's free list, where
 * only it can reuse them, so a helper thread per trainer lost them with the thread (19 MB
 * of a job worker's memory per 2-thread CNN job at batch 64, before this pool).
 *
 * Only a helper whose session ended cleanly comes back (ParallelTrainer.close); one that
 * failed a command or crashed is terminated, and so are helpers past one per spare core.
 * A helper that fails to set up ends its thread (its blocks are lost). Idle helpers do
 * not keep the process alive (unref) and live as long as the thread that started them (a job
 * worker's Piscina thread ends after its idle timeout, and its helpers with it), or until
 * `closeIdleHelpers()`.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WasmMemory } from '../../engine/index.ts';

/** The wasm memory (and rounding) a helper's kept kernel instance works over. */
interface KernelsOver {
  memory: WasmMemory;
  relaxed: boolean;
}

const idle: Worker[] = [];
/**
 * At most this many idle helpers per thread (each is a thread with its own V8 heap): one per
 * core beside the calling thread's. A trainer with more threads than that ends the rest.
 */
const MAX_IDLE = Math.max(1, availableParallelism() - 1);
/**
 * A Worker's own listeners, by name: `removeAllListeners()` without a name would also remove
 * Node's internal 'newListener' hook that starts the worker's message port, and a later
 * 'message' listener would then get nothing until the thread ends.
 */
export const HELPER_EVENTS = ['message', 'error', 'exit'] as const;
/** Per helper: the memory of its last session that had one (its kept kernels are over it). */
const kernelsOver = new WeakMap<Worker, KernelsOver>();

export interface Lease {
  worker: Worker;
  /** The helper's kept kernels are over `memory` already (HelperRequest.sameMemory). */
  sameMemory: boolean;
}

/** A warm helper (one with kernels over `memory` first), or a new thread running `url`. */
export function leaseHelper(url: URL, memory: WasmMemory | null, relaxed: boolean): Lease {
  const matches = (w: Worker): boolean => memory !== null && kernelsOver.get(w)?.memory === memory && kernelsOver.get(w)?.relaxed === relaxed;
  let i = idle.findIndex(matches);
  if (i < 0) i = idle.length - 1;
  if (i < 0) return { worker: new Worker(url), sameMemory: false };
  const [worker] = idle.splice(i, 1);
  for (const e of HELPER_EVENTS) worker.removeAllListeners(e);
  worker.ref();
  return { worker, sameMemory: matches(worker) };
}

/**
 * Keeps a helper whose session (over `memory`, if any) ended cleanly, for the next trainer;
 * past MAX_IDLE idle helpers, it is terminated instead.
 */
export function returnHelper(worker: Worker, memory: WasmMemory | null, relaxed: boolean): Promise<void> {
  for (const e of HELPER_EVENTS) worker.removeAllListeners(e);
  if (idle.length >= MAX_IDLE) return worker.terminate().then(() => undefined, () => undefined);
  if (memory !== null) kernelsOver.set(worker, { memory, relaxed });
  worker.unref();
  // An idle helper should not fail or die; if it does, it leaves the pool (an 'error' with no
  // listener would be thrown in this thread).
  worker.on('error', () => undefined);
  worker.once('exit', () => {
    const i = idle.indexOf(worker);
    if (i >= 0) idle.splice(i, 1);
  });
  idle.push(worker);
  return Promise.resolve();
}

/** Helpers waiting for a trainer on this thread. */
export function idleHelperCount(): number {
  return idle.length;
}

/** Ends the idle helpers (their blocks in the shared memory are not reused after this). */
export async function closeIdleHelpers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}
