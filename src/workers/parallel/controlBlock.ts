/**
 * The layout of the SharedArrayBuffer control block the main training thread and its
 * helper threads synchronise on (Atomics.wait / notify, no message per step).
 *
 *   ctrl[GEN]     step generation: the main thread bumps it (and notifies) to start a step
 *   ctrl[CMD], ctrl[CMD_ODD]  what to do, for even and odd generations (up to two are
 *                 outstanding: an update and the next batch's COMPUTE behind it): COMPUTE (a slice's gradient), STEP (reduce and update a range of
 *                 the parameters, with the learning rate and step number in the shared
 *                 float64 `step` pair) or EXIT
 *   ctrl[BATCH]   rows in the whole batch (the loss divisor)
 *   ctrl[WEIGHTS] 1 when the batch has sample weights in the shared weight buffer
 *   ctrl[XPTR]    the batch inputs' address in the shared wasm memory when the helpers read
 *                 them where the caller gathered them, else 0 (they were copied to x)
 *   per helper h (1..threads-1), at helperBase(h):
 *     +START, +END  its rows [start, end) of the batch
 *     +DONE         the generation it finished last (the main thread waits on it)
 *     +STATUS       OK, or ERROR with the message in the helper's error bytes
 *     +ERROR_LEN    length of that message (UTF-8 bytes)
 *     +DEAD         1 once the helper thread is exiting other than by EXIT (crash, process.exit)
 *     +PSTART, +PEND  its parameter elements [pstart, pend) to reduce and update in a STEP
 *                   (apart from START/END: the next COMPUTE's rows are set while it updates);
 *                   in the deferred protocol, the STEP's rows and its inputs' address instead
 *                   (apart from BATCH/XPTR, which the next COMPUTE sets while it runs)
 *     +PROGRESS     during a STEP, the element up to which its range is final (it advances
 *                   chunk by chunk; -1 when the STEP failed or the thread died)
 */
export const GEN = 0;
export const CMD = 1;
export const BATCH = 2;
export const WEIGHTS = 3;
/** Wasm address of the batch's inputs when the helpers read them in place (0: the shared x buffer). */
export const XPTR = 4;
/** The command of odd generations (CMD holds even ones'): a COMPUTE may follow a STEP before the helper has read it. */
export const CMD_ODD = 5;
/** Phase A by units: the generation whose first-layer units every thread has written (the helpers' rows need them all). */
export const UNITS_READY = 6;

/** Where generation `gen`'s command is. */
export function commandSlot(gen: number): number {
  return (gen & 1) === 0 ? CMD : CMD_ODD;
}

export const COMPUTE = 0;
export const EXIT = 1;
export const STEP = 2;
/** The deferred protocol's phase A by units: the first dense layer's units for every row, then the helper's rows (DeferredInit.units). */
export const COMPUTE_UNITS = 3;

export const START = 0;
export const END = 1;
export const DONE = 2;
export const STATUS = 3;
export const ERROR_LEN = 4;
export const DEAD = 5;
export const PSTART = 6;
export const PEND = 7;
export const PROGRESS = 8;

/** Parameter elements a helper updates between two PROGRESS reports (~16 us of Adam). */
export const UPDATE_CHUNK = 8192;

export const OK = 0;
export const ERROR = 1;

const HEADER = 8;
const PER_HELPER = 12;
/** Bytes of error message each helper can report. */
export const ERROR_BYTES = 2048;

export function helperBase(h: number): number {
  return HEADER + h * PER_HELPER;
}

export function controlInts(threads: number): number {
  return HEADER + threads * PER_HELPER;
}

/**
 * Waits until `ctrl[i]` is no longer `value`: spins up to SPIN_MS, then parks in
 * Atomics.wait. In training the change usually comes within tens of microseconds (the other
 * thread's half of a step, the main thread's loss bookkeeping), and waking a parked thread
 * costs about as much again, twice per step per thread. Measured (MLP, batch 128, 2 threads,
 * both cores free): no spin 93-97k samples/s, 0.05 ms 94-106k, 0.2 ms 109k. An earlier
 * measurement on a loaded machine with a tiny model found spinning harmful (a spinning
 * thread steals the core its partner needs); the spin is kept short for that reason.
 */
export function waitChange(ctrl: Int32Array, i: number, value: number): void {
  if (Atomics.load(ctrl, i) !== value) return;
  const until = performance.now() + SPIN_MS;
  for (let n = 1; ; n++) {
    if (Atomics.load(ctrl, i) !== value) return;
    if ((n & 63) === 0 && performance.now() > until) break;
  }
  while (Atomics.load(ctrl, i) === value) Atomics.wait(ctrl, i, value);
}

/**
 * Waits until helper `h`'s running update has finished its elements below `upTo` (all of its
 * range when `upTo` is past it). False when the helper failed or died during it (PROGRESS -1).
 */
export function waitUpdated(ctrl: Int32Array, h: number, upTo: number): boolean {
  const base = helperBase(h);
  if (Atomics.load(ctrl, base + PSTART) >= upTo) return true;
  const target = Math.min(Atomics.load(ctrl, base + PEND), upTo);
  const at = base + PROGRESS;
  for (let v = Atomics.load(ctrl, at); v < target; v = Atomics.load(ctrl, at)) {
    if (v === -1) return false;
    waitChange(ctrl, at, v);
  }
  return true;
}

/** How long a waiting thread spins before it parks. */
const SPIN_MS = 0.2;
