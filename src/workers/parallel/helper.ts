/**
 * The body of a helper thread. It serves one trainer at a time (a session, started by a
 * message): builds a replica of the model on the shared weights (with its own gradient
 * array) and, when the update is split, an optimizer of the same config on the shared
 * slots. Then loops: wait for a command; COMPUTE the gradient of its slice of the shared
 * batch, or STEP: reduce its range of the gradients and update that range of the weights;
 * report done. No message and no allocation per step. At EXIT it frees the replica's blocks
 * (kept by this thread's arena for the next session), says it has ended, and waits for the
 * next session (helperPool.ts: a warm thread, its modules loaded and its code compiled).
 */
import { parentPort } from 'node:worker_threads';
import {
  Rng, Sequential, UnitShard, createOptimizer, createWasmKernels, unitSplitLayout, wasmKernelSet, type Optimizer, type Parameter, type WasmMatmulKernels,
} from '../../engine/index.ts';
import {
  BATCH, COMPUTE, COMPUTE_UNITS, UNITS_READY, DEAD, DONE, END, ERROR, ERROR_BYTES, ERROR_LEN, EXIT, GEN, OK, PEND, PROGRESS, PSTART, START, STATUS, STEP, WEIGHTS, XPTR,
  UPDATE_CHUNK, commandSlot, helperBase, waitChange, waitUpdated,
} from './controlBlock.ts';
import type { HelperInit, HelperMessage, HelperRequest } from './messages.ts';
import { reduceRange, type AddInto } from './ranges.ts';
import { replicaStreamSeed } from './replicaStream.ts';

const post = (m: HelperMessage): void => parentPort?.postMessage(m);
/** The kernel instance over the main thread's memory, kept for the next session over the same memory. */
let kept: { wk: WasmMatmulKernels; relaxed: boolean } | null = null;
/** Marks the running session's helper dead in its control block (set while a session runs). */
let onDeath: (() => void) | null = null;
process.on('exit', () => onDeath?.());

parentPort?.on('message', (m: HelperRequest) => {
  if (m.type !== 'session') return;
  const clean = runSession(m.init, m.sameMemory);
  post({ type: 'ended', clean });
});

/**
 * One trainer's session: set up, then run its commands until EXIT. Returns whether every
 * command succeeded (a helper that failed one is not reused). A set-up failure ends the thread.
 */
function runSession(init: HelperInit, sameMemory: boolean): boolean {
  // Over the main thread's wasm memory: this thread's own kernel instance on the same memory
  // (kept from the last session when the memory is the same one), and every shared array
  // rebuilt as a view its kernels recognise (no copies).
  const relaxed = init.fault?.kind === 'plainKernels' ? false : init.relaxed ?? false;
  let wk: WasmMatmulKernels | null = null;
  if (init.memory) {
    if (sameMemory && kept?.relaxed === relaxed) wk = kept.wk;
    else {
      wk = createWasmKernels({ memory: init.memory, relaxed });
      kept = { wk, relaxed };
    }
  }
  const kernelSet = wk ? wasmKernelSet(wk) : null;
  const re = (a: Float32Array): Float32Array => (wk ? wk.arena.view(a.byteOffset, a.length) : a);
  const d: HelperInit = wk
    ? {
      ...init,
      values: re(init.values), bufferValues: re(init.bufferValues), grads: init.grads.map(re),
      x: re(init.x), y: re(init.y), w: re(init.w), out: re(init.out),
      optimizer: init.optimizer
        ? { config: init.optimizer.config, slots: Object.fromEntries(Object.entries(init.optimizer.slots).map(([k, v]) => [k, re(v)])) }
        : null,
      ...(init.deferred ? {
        deferred: {
          ...init.deferred, dz: init.deferred.dz.map((a) => a && re(a)), x: init.deferred.x.map((a) => a && re(a)),
          ...(init.deferred.units ? { units: { ...init.deferred.units, z: re(init.deferred.units.z), a: re(init.deferred.units.a) } } : {}),
        },
      } : {}),
      ...(init.unitSplit ? { unitSplit: { parts: init.unitSplit.parts.map(re), dz2: re(init.unitSplit.dz2) } } : {}),
    }
    : init;
  const add: AddInto | undefined = wk ? wk.addInto : undefined;
  /** The gradients this helper's replica writes: the model's own (its units only) in the deferred and unit-split protocols, else its own array. */
  const ownGrads = d.grads[d.deferred || d.unitSplit ? 0 : d.index];

  let replica: Sequential;
  let optimizer: Optimizer | null = null;
  /** The parameters as the optimizer sees them: shared weights, the reduced (model's) gradients. */
  let params: Parameter[] = [];
  /** The unit split: this helper's units, the ranges it updates, the shared parts and dz2. */
  let unit: { shard: UnitShard; ranges: [number, number][]; parts: Float32Array[]; dz2: Float32Array; context: { training: boolean; rng: Rng } } | null = null;
  try {
    replica = Sequential.fromSpec(d.spec, {
      // Deferred: the replica writes its units of the model's own gradients.
      seed: d.seed, storage: { values: d.values, bufferValues: d.bufferValues, grads: ownGrads }, ...(kernelSet ? { kernels: kernelSet } : {}),
    });
    replica.compile({ optimizer: 'sgd', loss: d.loss });
    replica.trainRng.setState(new Rng(replicaStreamSeed(d.seed, d.index)).getState());
    if (d.optimizer) {
      optimizer = createOptimizer(d.optimizer.config);
      if (!optimizer.attachSlots || !optimizer.updateRange) throw new Error(`optimizer ${optimizer.type} cannot update ranges`);
      optimizer.attachSlots(d.optimizer.slots);
      if (wk) optimizer.useKernels?.({ adam: wk.adam });
      let off = 0;
      params = replica.params.map((p) => {
        const n = p.value.length;
        const q: Parameter = { name: p.name, shape: p.shape, value: p.value, grad: d.grads[0].subarray(off, off + n), ...(p.decay === undefined ? {} : { decay: p.decay }) };
        off += n;
        return q;
      });
    }
    if (d.unitSplit) {
      const layout = unitSplitLayout(replica.layers, d.threads);
      if (!layout || !optimizer) throw new Error('the unit split needs a one-hidden-layer MLP and an optimizer that updates ranges');
      const memory = { allocate: (n: number) => replica.allocateScratch(n) };
      const shard = new UnitShard(replica.layers, layout, replica.kernelSet, memory, d.index, d.threads);
      const base = d.values.byteOffset;
      unit = { shard, ranges: shard.ranges((p) => (p.byteOffset - base) / 4), parts: d.unitSplit.parts, dz2: d.unitSplit.dz2, context: { training: true, rng: replica.trainRng } };
    }
  } catch (e) {
    post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }

  const ctrl = new Int32Array(d.control);
  const losses = new Float64Array(d.losses);
  const stepArgs = new Float64Array(d.step);
  const errorBytes = new Uint8Array(d.errors, d.index * ERROR_BYTES, ERROR_BYTES);
  const base = helperBase(d.index);
  const encoder = new TextEncoder();
  const slice = { batch: 0, regularize: false };
  /** The deferred protocol's shared arrays, and one slice object reused every step (row0 and batch set per step). */
  function deferredState(def: NonNullable<HelperInit['deferred']>) {
    const stage = { row0: 0, dz: def.dz, x: def.x, rowLosses: new Float64Array(def.rowLosses) };
    // Phase A by units: the first layer's shared arrays (its units set per COMPUTE_UNITS).
    const units = def.units ? { index: def.units.index, j0: 0, j1: 0, z: def.units.z, a: def.units.a, boundsAt: def.units.boundsAt } : null;
    return {
      stage,
      slice: { batch: 0, regularize: false, deferred: stage },
      unitBounds: new Int32Array(def.unitBounds),
      times: new Float64Array(def.times),
      units,
      /** Phase A by units: the slice of its rows after the first layer (row0 and batch set per step). */
      unitsSlice: { batch: 0, regularize: false, deferred: stage, units: units ?? undefined },
    };
  }
  const deferred = d.deferred ? deferredState(d.deferred) : null;
  // The trainer's control block is new: every generation from the first is this session's
  // (a trainer whose other helper failed to start may post EXIT before this one is set up).
  let seen = 0;
  let commands = 0;
  let clean = true;
  let failedStep: string | null = null;
  // A thread that dies other than by EXIT (an uncaught error, process.exit) says so, so the
  // main thread, possibly asleep in Atomics.wait for this helper, wakes and throws.
  onDeath = () => {
    const { written } = encoder.encodeInto(`helper ${d.index} exited unexpectedly`, errorBytes);
    Atomics.store(ctrl, base + ERROR_LEN, written);
    Atomics.store(ctrl, base + STATUS, ERROR);
    Atomics.store(ctrl, base + DEAD, 1);
    Atomics.store(ctrl, base + DONE, -1);
    Atomics.store(ctrl, base + PROGRESS, -1);
    Atomics.notify(ctrl, base + DONE);
    Atomics.notify(ctrl, base + PROGRESS);
  };
  post({ type: 'ready', relaxed: wk ? wk.relaxed : null });

  /** With several helpers: waits until the others have finished their ranges of the last update (this one has). */
  function awaitOtherUpdates(): void {
    for (let h = 1; h < d.threads; h++) {
      if (h !== d.index && !waitUpdated(ctrl, h, Number.MAX_SAFE_INTEGER)) throw new Error(`helper ${h} stopped during the optimizer update`);
    }
  }

  /** The deferred protocol's phase A on this helper's rows: forward, backward to the inputs, dz / inputs / row losses into the stage. */
  function computeDeferred(def: NonNullable<typeof deferred>): void {
    phaseARows(def, def.slice);
  }

  /**
   * This helper's rows [START, END) of phase A with `slice` (from the forward's start, or, in
   * phase A by units, from the first layer's bias on): the stage and row losses of those
   * rows, and their predictions.
   */
  function phaseARows(def: NonNullable<typeof deferred>, slice: typeof def.slice): void {
    const start = Atomics.load(ctrl, base + START);
    const end = Atomics.load(ctrl, base + END);
    const n = end - start;
    if (n > 0 && wk) {
      const w = Atomics.load(ctrl, WEIGHTS) === 1 ? d.w.subarray(start, end) : null;
      const x = wk.arena.view(Atomics.load(ctrl, XPTR) + start * d.xSize * 4, n * d.xSize);
      slice.batch = Atomics.load(ctrl, BATCH);
      def.stage.row0 = start;
      replica.computeGradients(x, d.y.subarray(start * d.ySize, end * d.ySize), n, w, true, slice);
      d.out.set(replica.lastOutput.subarray(0, n * d.outSize), start * d.outSize);
    }
  }

  /**
   * The deferred protocol's phase A by units (COMPUTE_UNITS): this helper's units of the first dense layer for
   * every row (its forward bounds), PROGRESS = gen; then, once the calling thread has its
   * units in too (UNITS_READY), its rows from there on as the deferred phase A does.
   */
  function computeUnitsFirst(def: NonNullable<typeof deferred>, gen: number, t0: number): void {
    const u = def.units;
    if (!u || !wk) throw new Error('phase A by units needs the first layer\'s shared arrays and the shared wasm memory');
    u.j0 = def.unitBounds[u.boundsAt + d.index];
    u.j1 = def.unitBounds[u.boundsAt + d.index + 1];
    const total = Atomics.load(ctrl, BATCH);
    const xAll = Atomics.load(ctrl, XPTR);
    // Even with no units: the layers before it give this helper's rows their input.
    replica.forwardUnits(wk.arena.view(xAll, total * d.xSize), total, true, u);
    const t1 = performance.now();
    Atomics.store(ctrl, base + PROGRESS, gen);
    Atomics.notify(ctrl, base + PROGRESS);
    for (let v = Atomics.load(ctrl, UNITS_READY); v < gen; v = Atomics.load(ctrl, UNITS_READY)) waitChange(ctrl, UNITS_READY, v);
    const t2 = performance.now();
    phaseARows(def, def.unitsSlice);
    const ut = d.threads * 2;
    def.times[ut + d.index * 2] = t1 - t0;
    def.times[ut + d.index * 2 + 1] = performance.now() - t2;
  }

  /** The deferred protocol's phase B: the weight gradients of this helper's units of every layer, and their update. */
  function stepDeferred(def: NonNullable<typeof deferred>): void {
    const layout = replica.deferredLayout;
    if (!layout || !wk) throw new Error('the deferred protocol needs a deferred layout and the shared wasm memory');
    // Set with the STEP: the next COMPUTE's BATCH and XPTR may be posted while this runs.
    const rows = Atomics.load(ctrl, base + PSTART);
    const xIn = wk.arena.view(Atomics.load(ctrl, base + PEND), rows * d.xSize);
    const T = d.threads;
    layout.forEach((l, i) => {
      const j0 = def.unitBounds[i * (T + 1) + d.index];
      const j1 = def.unitBounds[i * (T + 1) + d.index + 1];
      replica.deferredWeightGrads(l, def.stage.dz[l.index] as Float32Array, def.stage.x[l.index] ?? xIn, rows, j0, j1);
      if (j1 > j0) for (const p of l.params) optimizer?.updateRange?.(params, stepArgs[0], stepArgs[1], p.offset + j0 * p.perUnit, p.offset + j1 * p.perUnit);
    });
  }

  /** The unit split's step 1: this helper's part of the logits, for the whole batch. */
  function computeUnits(u: NonNullable<typeof unit>): void {
    if (!wk) throw new Error('the unit split needs the shared wasm memory');
    const rows = Atomics.load(ctrl, BATCH);
    u.shard.forward(wk.arena.view(Atomics.load(ctrl, XPTR), rows * d.xSize), rows, u.context, u.parts[d.index]);
  }

  /** The unit split's step 3: this helper's gradients from dz2, and the update of its units. */
  function stepUnits(u: NonNullable<typeof unit>): void {
    u.shard.backward(u.dz2);
    for (const [a, b] of u.ranges) optimizer?.updateRange?.(params, stepArgs[0], stepArgs[1], a, b);
  }

  function compute(): void {
    if (deferred) return computeDeferred(deferred);
    if (unit) return computeUnits(unit);
    awaitOtherUpdates();
    const start = Atomics.load(ctrl, base + START);
    const end = Atomics.load(ctrl, base + END);
    const n = end - start;
    if (n === 0) {
      ownGrads.fill(0);
      losses[d.index] = 0;
      return;
    }
    slice.batch = Atomics.load(ctrl, BATCH);
    const w = Atomics.load(ctrl, WEIGHTS) === 1 ? d.w.subarray(start, end) : null;
    const xPtr = Atomics.load(ctrl, XPTR);
    const x = xPtr !== 0 && wk ? wk.arena.view(xPtr + start * d.xSize * 4, n * d.xSize) : d.x.subarray(start * d.xSize, end * d.xSize);
    losses[d.index] = replica.computeGradients(x, d.y.subarray(start * d.ySize, end * d.ySize), n, w, true, slice);
    d.out.set(replica.lastOutput.subarray(0, n * d.outSize), start * d.outSize);
  }

  function step(): void {
    if (deferred) return stepDeferred(deferred);
    if (unit) return stepUnits(unit);
    // This helper's share of the parameters, set by the main thread for each step, front to
    // back in chunks: the main thread's next forward starts on the first ones (PROGRESS).
    const from = Atomics.load(ctrl, base + PSTART);
    const to = Atomics.load(ctrl, base + PEND);
    for (let a = from; a < to; a += UPDATE_CHUNK) {
      const b = Math.min(to, a + UPDATE_CHUNK);
      reduceRange(d.grads, a, b, add);
      optimizer?.updateRange?.(params, stepArgs[0], stepArgs[1], a, b);
      Atomics.store(ctrl, base + PROGRESS, b);
      Atomics.notify(ctrl, base + PROGRESS);
    }
  }

  /** Runs generation `gen`'s command; false on EXIT. */
  function run(gen: number): boolean {
    const cmd = Atomics.load(ctrl, commandSlot(gen));
    if (cmd === EXIT) return false;
    commands++;
    const t0 = performance.now();
    if (d.fault?.kind === 'exit' && d.fault.atCommand === commands) process.exit(3);
    if (d.fault?.kind === 'slow' || (d.fault?.kind === 'slowCompute' && cmd !== STEP)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, d.fault.ms);
    try {
      if (d.fault?.kind === 'throw' && d.fault.atCommand === commands) throw new Error(`helper ${d.index}: injected failure at command ${commands}`);
      // A failed update leaves the weights half updated: every later command reports it again
      // (the main thread may only look after the COMPUTE that follows it).
      if (failedStep !== null) throw new Error(failedStep);
      if (cmd === COMPUTE) compute();
      else if (cmd === STEP) step();
      else if (cmd === COMPUTE_UNITS) {
        if (!deferred) throw new Error('COMPUTE_UNITS outside the deferred protocol');
        // Timed from the command's start, as phase A by rows is: a helper that starts late gets fewer units.
        computeUnitsFirst(deferred, gen, t0);
      }
      Atomics.store(ctrl, base + STATUS, OK);
    } catch (e) {
      clean = false;
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      if (cmd === STEP) failedStep ??= `during the optimizer update: ${message}`;
      const { written } = encoder.encodeInto(message, errorBytes);
      Atomics.store(ctrl, base + ERROR_LEN, written);
      Atomics.store(ctrl, base + STATUS, ERROR);
      // The calling thread may be waiting for this helper's progress: a failed update for
      // good (-1); a failed COMPUTE_UNITS as if its units were in (this step fails when the
      // calling thread reads DONE and the error; the next one waits for units again).
      if (cmd === STEP || cmd === COMPUTE_UNITS) {
        Atomics.store(ctrl, base + PROGRESS, cmd === STEP ? -1 : gen);
        Atomics.notify(ctrl, base + PROGRESS);
      }
    }
    // The deferred protocol splits the next batch by these times (speedSplit.ts).
    if (deferred) deferred.times[d.index * 2 + (cmd === STEP ? 1 : 0)] = performance.now() - t0;
    Atomics.store(ctrl, base + DONE, gen);
    Atomics.notify(ctrl, base + DONE);
    return true;
  }

  // The main thread may post a COMPUTE right behind a STEP (two generations at once): each
  // generation has its command slot, and they are run in order.
  for (let live = true; live;) {
    waitChange(ctrl, GEN, seen);
    const latest = Atomics.load(ctrl, GEN);
    while (live && seen < latest) live = run(++seen);
  }
  onDeath = null;
  // The replica's blocks go back to this thread's arena, for the next session's replica.
  replica.dispose();
  return clean;
}
