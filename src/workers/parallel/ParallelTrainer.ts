/**
 * Training one model over threads: `threads - 1` helper threads each hold a replica attached
 * to the model's SharedArrayBuffer weights. Three protocols: deferred weight gradients (the
 * default for MLPs: dense layers and parameter-free row-by-row layers; the 1-thread result
 * bit for bit on any thread count), the row split (the default for every other model:
 * data-parallel) and the unit split (`protocol: 'unitSplit'`, one-hidden-layer MLPs: each
 * thread owns a range of the hidden units for the whole batch). On shuffled batches, as a job
 * trains, the three were within about 5% of each other at batch 128 (the deferred protocol
 * ahead of the unit split in four real-data runs of five, by 4-7%), and the row split well
 * behind at batch 32 (README, session 11).
 *
 * Unit split (where the model allows it: [parameter-free row-by-row layers] dense dense, no
 * regularizer, an optimizer that updates ranges, the default kernels; engine/model/unitSplit.ts).
 * Per batch:
 *   1. `computeGradients`: every thread runs its hidden units on the whole batch (read where
 *      fit gathered it) and leaves its part of the output layer's pre-activation in a shared
 *      array; the calling thread waits for the parts, sums them, and computes the output, the
 *      loss and dz2 (the gradient at the logits) for all rows.
 *   2. `step`: every thread computes its units' gradients from dz2 and updates them; the
 *      calling thread returns once its own are done (fit gathers the next batch into its
 *      other input buffer) and the helpers' run on behind the next forward, which reads only
 *      the calling thread's own units. Anything reading the weights waits for them (`settle`).
 *   A thread's weights, gradients and optimizer state never leave it; a step moves the parts
 *   and dz2 (batch x outputs floats each) and the batch's inputs. The unit ranges are fixed by
 *   the hidden size and thread count: reproducible bit for bit for a fixed seed and thread count.
 *
 * Deferred weight gradients (the default where the model allows it: dense layers and row-by-row
 * layers without parameters, an optimizer that updates ranges, the default kernels;
 * engine/model/deferredGradients.ts). Per batch:
 *   A. `computeGradients`: the rows are split by each thread's measured speed (SpeedSplit);
 *      every thread runs the forward and the backward to the inputs on its rows and leaves
 *      each layer's dz and inputs, and each row's loss term, in batch-wide shared arrays.
 *      The loss is the row terms summed in row order.
 *   B. `step`: each layer's output units are split the same way; every thread computes the
 *      weight gradients of its units from all rows (into the model's gradients) and updates
 *      those parameters. The calling thread returns to fit as soon as its units are done
 *      (fit gathers the next batch into its other input buffer, `inputBuffers`). With one
 *      helper, the next COMPUTE is posted behind the helper's phase B, and this thread's
 *      forward starts on the first layer's units it updated itself, waiting for the helper's
 *      units only when it reaches them; anything else that reads weights waits for them all.
 *   Every split gives the same floats: the weights, losses and metrics are those of one
 *   thread, bit for bit, for any thread count.
 *   Phase A may also be split by the first dense layer's units (`deferredSplit`; by default
 *   whichever of the two the machine runs faster, measured as it trains: splitChooser.ts).
 *   A1. every thread computes its units of that layer for every row (their weights it updated
 *      itself, so none moves between the cores) into a shared [batch, units] array; the
 *      threads meet (UNITS_READY: every unit is in).
 *   A2. every thread takes its rows from there: that layer's bias and activation, the rest of
 *      the model, the loss and the backward to the inputs, leaving the stage as in A.
 *   Phase B is the same; the later layers' units are all the calling thread's. A step then
 *   moves a fifth of the data a row split moves between the cores (not the first layer's
 *   weights): on cores that do not share a cache it ran at x1.41 of one thread where the
 *   row split fell to x1.07; on cores that do, 4-10% behind it (README, session 13).
 *
 * Row split (the default for every model the deferred protocol cannot run: dropout, conv,
 * recurrent). Each helper replica has its own gradient array. Per batch:
 *   1. `computeGradients`: the batch is split into `threads` contiguous slices, fixed by the
 *      batch size and thread count; the helpers read their rows where fit gathered them (the
 *      shared wasm memory) or from a shared batch buffer they are copied to;
 *      one Atomics.notify starts the helpers and the calling thread computes slice 0 on the
 *      model itself. Each slice's loss and gradient are divided by the WHOLE batch size, so
 *      they sum to the single-thread result (regularisation is added once, by slice 0).
 *   2. `step` (after fit has checked the loss is finite): the parameters are split into
 *      `threads - 1` element ranges, one per helper; each helper adds the replicas' gradients
 *      of its range into the model's in a fixed order (0, 1, 2, ...) and runs the optimizer's
 *      update on that range (optimizers are elementwise; their slots are shared), front to
 *      back in chunks, reporting its progress. The calling thread does not wait: it returns
 *      to fit (metrics, callbacks, gathering the next batch) and posts the next COMPUTE
 *      behind the update; its own forward follows the update block by block
 *      (`Sequential.setPendingUpdate` with a progress wait; dense layers a block of output
 *      units at a time), and anything else that reads or writes the weights waits for all of
 *      it (`settle`). The helpers start their rows only after the update, so the calling
 *      thread takes a few more rows of each batch (`leadRows`, fixed by the model and batch
 *      size). When the
 *      optimizer cannot be split (clipnorm / globalClipnorm, or compiled from an instance
 *      rather than a config), the calling thread reduces everything and calls optimizer.step.
 * Either way each weight gets exactly the same float operations for a fixed seed and thread
 * count: bit-reproducible (and 1 vs 2 threads agree to float rounding). The threads meet on a SharedArrayBuffer control block (Atomics.wait /
 * notify); nothing is allocated or cloned per step.
 *
 * Not supported: models with buffers (batchNormalization's moving statistics: each slice
 * would update them concurrently with its own statistics) are refused. Dropout in a helper
 * draws from its own deterministic stream (replicaStream.ts); slice 0 uses the model's, so
 * masks differ from a 1-thread run, and a checkpoint does not save the helpers' streams.
 *
 *   const trainer = await ParallelTrainer.create(model, { threads: 2, batchSize: 128 });
 *   try { await model.fit(x, y, { batchSize: 128, gradients: trainer }); } finally { await trainer.close(); }
 */
import { Worker } from 'node:worker_threads';
import {
  UnitShard, UnitSplitTail, defaultWasmKernels, sharedFloat32, unitSplitLayout,
  type DeferredSlice, type GradientStrategy, type LayerParameter, type Sequential, type UnitsFirst, type WasmMemory,
} from '../../engine/index.ts';
import {
  BATCH, COMPUTE, COMPUTE_UNITS, UNITS_READY, DEAD, DONE, END, ERROR, ERROR_BYTES, ERROR_LEN, EXIT, GEN, PEND, PROGRESS, PSTART, START, STATUS, STEP, WEIGHTS, XPTR,
  commandSlot, controlInts, helperBase, waitChange, waitUpdated,
} from './controlBlock.ts';
import type { DeferredInit, HelperFault, HelperInit, HelperMessage, HelperRequest, ParallelProtocol, UnitSplitInit } from './messages.ts';
import { HELPER_EVENTS, leaseHelper, returnHelper } from './helperPool.ts';
import { ParallelTrainingError } from './ParallelTrainingError.ts';
import { leadRows, partBounds, reduceRange, rowBounds } from './ranges.ts';
import { SpeedSplit } from './speedSplit.ts';
import { DEFAULT_SPLIT_CHOOSER, SplitChooser, type PhaseASplit, type SplitChooserOptions } from './splitChooser.ts';

export interface ParallelTrainerOptions {
  /** Threads computing gradients, the calling one included (1 = no helper). */
  threads: number;
  /** The largest batch `computeGradients` will get (fit's batchSize). */
  batchSize: number;
  /** Split the optimizer update over the threads when it can be (default true). */
  splitStep?: boolean;
  /**
   * Default: 'deferred' where the model allows it (the 1-thread weights, losses and metrics
   * bit for bit on any thread count), else 'rowSplit' (reproducible for a fixed seed and thread
   * count); the fastest measured for each. 'unitSplit': reproducible for a fixed seed and
   * thread count. A protocol the model does not allow falls back to the row split (`protocol`
   * on the trainer says which runs). See the README.
   */
  protocol?: ParallelProtocol;
  /**
   * The deferred protocol's phase A: split by rows, by the first dense layer's units (where the
   * model allows it: splitChooser.ts), or 'adaptive' (the default): whichever the machine runs
   * faster, measured as it trains. All three give the 1-thread result bit for bit.
   */
  deferredSplit?: 'adaptive' | PhaseASplit;
  /** For tests: how often the adaptive split tries the other one (splitChooser.ts). */
  splitChooser?: Partial<SplitChooserOptions>;
  /** For tests: a fault helper 1 injects (HelperFault: throw or exit at its n-th command, or plain kernels). */
  fault?: HelperFault;
}

const HELPER_URL = new URL('./helper.mjs', import.meta.url);
/** Phase A's split of the first layer's units, in multiples of this (the GEMM's tiles are 16 columns wide; 8 keeps the split fine enough to balance). */
const UNITS_ALIGN = 8;

/** The split chooser's options: the defaults, and any given (each a positive integer but `margin`, and `warm` below `probe`). */
function chooserOptions(given: Partial<SplitChooserOptions> | undefined): SplitChooserOptions {
  const o: SplitChooserOptions = { ...DEFAULT_SPLIT_CHOOSER };
  for (const [k, v] of Object.entries(given ?? {}) as [keyof SplitChooserOptions, number | undefined][]) {
    if (v === undefined) continue;
    const ok = k === 'margin' ? Number.isFinite(v) && v < 1 : Number.isInteger(v) && (k === 'warm' ? v >= 0 : v > 0);
    if (!ok) throw new ParallelTrainingError(`splitChooser.${k} must be ${k === 'margin' ? 'a number below 1' : k === 'warm' ? 'a non-negative integer' : 'a positive integer'}, got ${v}`);
    o[k] = v;
  }
  if (o.warm >= o.probe) throw new ParallelTrainingError(`splitChooser.warm (${o.warm}) must be below splitChooser.probe (${o.probe})`);
  return o;
}

/** The first layer of a deferred layout, when it can compute its units apart (dense: forwardUnits). */
function unitsFirstLayer(model: Sequential, layout: NonNullable<Sequential['deferredLayout']>): { index: number; units: number } | null {
  const first = layout[0];
  const layer = first ? model.layers[first.index] : undefined;
  if (!first || !layer?.forwardUnits || !layer.finishUnits) return null;
  return { index: first.index, units: first.units };
}
const CLOSE_TIMEOUT_MS = 5000;
/** Models with a trainer that is not closed: a second would share (and replace) the optimizer slots the first one's helpers update. */
const liveModels = new WeakSet<Sequential>();

export class ParallelTrainer implements GradientStrategy {
  readonly threads: number;
  readonly lastOutput: Float32Array;
  /** True when the optimizer update is split over the threads (else the calling thread steps). */
  readonly splitStep: boolean;
  /** The protocol that runs (see ParallelTrainerOptions.protocol). */
  readonly protocol: ParallelProtocol;
  /** 2 in the deferred protocol: the helpers' weight gradients still read the last batch while fit gathers the next (GradientStrategy.inputBuffers). */
  readonly inputBuffers: number;
  /** Deferred protocol: the stage (per layer dz and inputs of the whole batch), row losses, unit bounds, phase times. */
  private readonly stage: DeferredSlice | null = null;
  private readonly unitBounds: Int32Array;
  private readonly times: Float64Array;
  private readonly speed: SpeedSplit;
  private readonly rows: Int32Array;
  private readonly sliceD = { batch: 0, regularize: false, deferred: undefined as DeferredSlice | undefined };
  /**
   * Phase A by units (computeUnitsFirst): the first dense layer, the calling thread's units of
   * it, its whole-batch pre-activation and output, and the slice of this thread's rows after it.
   */
  private readonly unitsFirst: { -readonly [K in keyof UnitsFirst]: UnitsFirst[K] } | null = null;
  private readonly sliceU: { batch: number; regularize: boolean; deferred: DeferredSlice | undefined; units: UnitsFirst | undefined } = { batch: 0, regularize: false, deferred: undefined, units: undefined };
  /**
   * Phase A by units: the speed splits of the rows after the first layer (the rest of the
   * model, the loss, the backward), of phase B's units of the first layer (fit's work included,
   * as in `speed`), and of the first layer's forward (by its speed alone).
   */
  private readonly speedR: SpeedSplit;
  private readonly speedU: SpeedSplit;
  private readonly speedA: SpeedSplit;
  /** The deferred protocol's phase-A split: fixed, or chosen as it trains (splitChooser.ts). */
  private readonly fixedSplit: PhaseASplit;
  private readonly chooser: SplitChooser | null;
  private lastSplit: PhaseASplit | null = null;
  private lastStepAt = 0;
  private lastBatch = 1;
  /** Steps whose forward took units of the first layer over from a helper, waiting for its update first (see `splitWaits`). */
  private tookOver = 0;
  /** Steps run with each phase-A split (the deferred protocol). */
  readonly splitSteps = { rows: 0, units: 0 };
  /** Where the forward's unit bounds of the first layer start in unitBounds (after every layer's phase-B bounds). */
  private readonly a1At: number = 0;
  /** Deferred protocol: rows of the batch whose weight gradients `step` computes (0: none pending), and where its inputs are. */
  private pendingRows = 0;
  private pendingX: Float32Array = new Float32Array(0);
  /** Unit split: this thread's units, the tail (loss), each thread's part of the logits, dz2, the parameter ranges this thread updates. */
  private readonly unit: { shard: UnitShard; tail: UnitSplitTail; parts: Float32Array[]; dz2: Float32Array; ranges: [number, number][]; params: readonly LayerParameter[] } | null = null;
  /** Unit split: the context of the calling thread's forward (training, the model's stream). */
  private readonly forwardContext: { training: boolean; rng: Sequential['trainRng'] };
  /** Deferred protocol: the flat elements the calling thread's next forward reads without waiting for the helpers (deferredProgress). */
  private freeEnd = 0;
  /** Deferred protocol: when the last STEP was signalled. */
  private stepStart = 0;
  /** Set when the calling thread's part of an update threw (the weights are half updated). */
  private failedUpdate: string | null = null;
  private readonly ctrl: Int32Array;
  private readonly losses: Float64Array;
  private readonly stepArgs: Float64Array;
  private readonly errors: Uint8Array;
  /** Index 0: the model's own gradients (the reduction target); then each helper's. */
  private readonly grads: Float32Array[];
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private readonly w: Float32Array;
  private readonly slice0 = { batch: 0, regularize: true };
  /** Where the shared arrays live: the model's wasm memory when its weights are there (see `create`). */
  private readonly allocate: (n: number) => Float32Array;
  private readonly release: (x: Float32Array) => void;
  private readonly inWasm: boolean;
  /** With `inWasm`: the memory the shared arrays live in, and its kernels' rounding (the helpers' must match). */
  private get memory(): WasmMemory | null {
    return this.inWasm ? defaultWasmKernels().instance.memory : null;
  }

  private get relaxed(): boolean {
    return defaultWasmKernels().relaxed;
  }
  private readonly owned: Float32Array[] = [];
  private readonly add = (dst: Float32Array, src: Float32Array, n: number): void => defaultWasmKernels().addInto(dst, src, n);
  private workers: Worker[] = [];
  /** The helpers may go back to the pool when their sessions end cleanly (no injected fault). */
  private reusable = true;
  private closed = false;
  /** The optimizer's slots were shared for this trainer's helpers (ended at close). */
  private sharesSlots = false;
  private failed: Error | null = null;
  private pendingReduce = false;
  /** Generation of an update the helpers are still running (see step / settle). */
  private pendingStep: number | null = null;
  /** Training FLOPs per sample, for the calling thread's extra rows (leadRows); 0 when the update is not split. */
  private readonly flopsPerSample: number;
  private readonly waitUpdated = (elements: number): void => this.waitProgress(elements);

  private constructor(
    private readonly model: Sequential,
    private readonly maxBatch: number,
    private readonly xSize: number,
    private readonly ySize: number,
    private readonly outSize: number,
    threads: number,
    splitStep: boolean,
    wanted: ParallelProtocol | undefined,
    split: { mode: 'adaptive' | PhaseASplit; chooser: Partial<SplitChooserOptions> | undefined },
  ) {
    this.threads = threads;
    this.splitStep = splitStep;
    this.forwardContext = { training: true, rng: model.trainRng };
    this.flopsPerSample = splitStep ? model.summary().flops.trainingPerSample : 0;
    this.ctrl = new Int32Array(new SharedArrayBuffer(controlInts(threads) * 4));
    this.losses = new Float64Array(new SharedArrayBuffer(threads * 8));
    this.stepArgs = new Float64Array(new SharedArrayBuffer(16));
    this.errors = new Uint8Array(new SharedArrayBuffer(threads * ERROR_BYTES));
    // When the weights live in this thread's wasm memory (the default kernels), every shared
    // array goes there too and the helpers run their kernels over that same memory, so no
    // thread copies operands and the optimizer update runs in wasm on every range.
    this.inWasm = threads > 1 && defaultWasmKernels().arena.owns(model.storage.values);
    this.allocate = this.inWasm
      ? (n) => {
        const a = model.allocateScratch(n);
        this.owned.push(a);
        return a;
      }
      : sharedFloat32;
    this.release = (x) => model.releaseScratch(x);
    // The deferred protocol needs the batch and the stage in the shared wasm memory, and an
    // optimizer updating ranges; its helpers write the model's own gradients.
    const layout = model.deferredLayout;
    const want = wanted ?? 'deferred';
    const deferred = want === 'deferred' && splitStep && this.inWasm && layout !== null;
    // Phase A by the first layer's units too, where it can split them (else by rows only).
    const first = deferred && split.mode !== 'rows' ? unitsFirstLayer(model, layout) : null;
    const units = want === 'unitSplit' && splitStep && this.inWasm ? unitSplitLayout(model.layers, threads) : null;
    this.protocol = deferred ? 'deferred' : units ? 'unitSplit' : 'rowSplit';
    this.fixedSplit = first && split.mode === 'units' ? 'units' : 'rows';
    this.chooser = first && split.mode === 'adaptive' ? new SplitChooser('rows', chooserOptions(split.chooser)) : null;
    // Both read the last batch's inputs in `step` (the helpers maybe after it returns).
    this.inputBuffers = deferred || units ? 2 : 1;
    this.grads = [model.storage.grads];
    if (!deferred && !units) for (let h = 1; h < threads; h++) this.grads.push(this.allocate(model.paramCount));
    if (units) {
      const memory = { allocate: (n: number) => this.allocate(n) };
      const shard = new UnitShard(model.layers, units, model.kernelSet, memory, 0, threads);
      const base = model.storage.values.byteOffset;
      this.unit = {
        shard,
        tail: new UnitSplitTail(model.layers, units, model.kernelSet, memory, model.lossHead as NonNullable<Sequential['lossHead']>),
        parts: Array.from({ length: threads }, () => this.allocate(maxBatch * units.outSize)),
        dz2: this.allocate(maxBatch * units.outSize),
        ranges: shard.ranges((p) => (p.byteOffset - base) / 4),
        params: model.params,
      };
    }
    this.speed = new SpeedSplit(threads);
    this.speedU = new SpeedSplit(threads);
    this.speedA = new SpeedSplit(threads);
    this.speedR = new SpeedSplit(threads);
    this.a1At = (layout?.length ?? 0) * (threads + 1);
    this.rows = new Int32Array(threads + 1);
    this.times = new Float64Array(new SharedArrayBuffer(threads * 4 * 8));
    this.unitBounds = new Int32Array(new SharedArrayBuffer(((layout?.length ?? 0) + 1) * (threads + 1) * 4));
    if (deferred && layout) {
      const dz: (Float32Array | null)[] = model.layers.map(() => null);
      const xs: (Float32Array | null)[] = model.layers.map(() => null);
      for (const l of layout) {
        dz[l.index] = this.allocate(maxBatch * l.units);
        if (!l.readsModelInput) xs[l.index] = this.allocate(maxBatch * l.inSize);
      }
      this.stage = { row0: 0, dz, x: xs, rowLosses: new Float64Array(new SharedArrayBuffer(maxBatch * 8)) };
      this.sliceD.deferred = this.stage;
      if (first) {
        // The layer's output is the next one's input rows in the stage when it follows at once.
        const next = layout[1];
        const a = next?.index === first.index + 1 ? xs[next.index] as Float32Array : this.allocate(maxBatch * first.units);
        this.unitsFirst = { index: first.index, j0: 0, j1: 0, z: this.allocate(maxBatch * first.units), a, split: 0, awaitSplit: this.awaitSplit };
        this.sliceU.deferred = this.stage;
        this.sliceU.units = this.unitsFirst;
        // Until measured: even shares of the first layer, every later layer on the calling thread.
        this.planUnitsFirst(layout);
      }
    }
    this.x = this.allocate(maxBatch * xSize);
    this.y = this.allocate(maxBatch * ySize);
    this.w = this.allocate(maxBatch);
    this.lastOutput = this.allocate(maxBatch * outSize);
  }

  /** Starts the helper threads and resolves once each has built its replica. */
  static async create(model: Sequential, options: ParallelTrainerOptions): Promise<ParallelTrainer> {
    const { threads, batchSize } = options;
    if (!Number.isInteger(threads) || threads < 1) throw new ParallelTrainingError(`threads must be a positive integer, got ${threads}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ParallelTrainingError(`batchSize must be a positive integer, got ${batchSize}`);
    const optimizer = model.optimizer;
    if (!model.lossName || !model.lossHead || !optimizer) throw new ParallelTrainingError('compile the model before creating a ParallelTrainer');
    if (threads > 1 && model.buffers.length > 0) {
      const names = model.buffers.map((b) => b.name).join(', ');
      throw new ParallelTrainingError(
        `data-parallel training of a model with buffers (${names}) is not supported: batchNormalization's statistics would be per slice; train it with threads: 1`,
      );
    }
    const split = threads > 1 && (options.splitStep ?? true) && model.optimizerConfig !== null &&
      optimizer.shareSlots !== undefined && optimizer.updateRange !== undefined && optimizer.beginRangeStep !== undefined &&
      // Probe without stepping: clip-by-norm optimizers refuse range steps.
      !(optimizer as { clipnorm?: number }).clipnorm && !(optimizer as { globalClipnorm?: number }).globalClipnorm;
    if (threads > 1 && liveModels.has(model)) throw new ParallelTrainingError('this model already has a ParallelTrainer that is not closed; close it first');
    const xSize = model.inputShape.reduce((a, b) => a * b, 1);
    const ySize = model.lossHead.labelSize(model.outputSize, model.outputCols);
    const mode = options.deferredSplit ?? 'adaptive';
    if (!['adaptive', 'rows', 'units'].includes(mode)) throw new ParallelTrainingError(`deferredSplit must be 'adaptive', 'rows' or 'units', got ${JSON.stringify(mode)}`);
    const t = new ParallelTrainer(model, batchSize, xSize, ySize, model.outputSize, threads, split, options.protocol, { mode, chooser: options.splitChooser });
    if (threads > 1) liveModels.add(model);
    await t.start(options.fault);
    return t;
  }

  private async start(fault: HelperInit['fault']): Promise<void> {
    if (this.threads === 1) return;
    const { values, bufferValues } = this.model.storage;
    const slots = this.splitStep && this.model.optimizer?.shareSlots ? this.model.optimizer.shareSlots(this.model.params, this.inWasm ? (n) => this.model.allocateScratch(n) : sharedFloat32) : null;
    this.sharesSlots = slots !== null;
    const ready: Promise<void>[] = [];
    // Helpers come warm from this thread's pool when it has some (helperPool.ts). A test's
    // plain-kernels fault gets a new thread, never returned (its kernels round differently).
    this.reusable = fault?.kind !== 'plainKernels';
    for (let h = 1; h < this.threads; h++) {
      const init: HelperInit = {
        index: h, threads: this.threads, spec: this.model.spec, seed: this.model.seed, loss: this.model.lossName as string,
        values, bufferValues, grads: this.grads,
        optimizer: slots ? { config: this.model.optimizerConfig, slots } : null,
        control: this.ctrl.buffer as SharedArrayBuffer, losses: this.losses.buffer as SharedArrayBuffer,
        step: this.stepArgs.buffer as SharedArrayBuffer, errors: this.errors.buffer as SharedArrayBuffer,
        x: this.x, y: this.y, w: this.w, out: this.lastOutput, xSize: this.xSize, ySize: this.ySize, outSize: this.outSize,
        ...(this.memory ? { memory: this.memory, relaxed: this.relaxed } : {}),
        ...(fault !== undefined && h === 1 ? { fault } : {}),
        ...(this.stage ? { deferred: this.deferredInit(this.stage) } : {}),
        ...(this.unit ? { unitSplit: { parts: this.unit.parts, dz2: this.unit.dz2 } satisfies UnitSplitInit } : {}),
      };
      const { worker, sameMemory } = this.reusable
        ? leaseHelper(HELPER_URL, this.memory, this.relaxed)
        : { worker: new Worker(HELPER_URL), sameMemory: false };
      this.workers.push(worker);
      worker.postMessage({ type: 'session', init, sameMemory } satisfies HelperRequest);
      ready.push(new Promise<void>((resolve, reject) => {
        worker.once('message', (m: HelperMessage) => {
          if (m.type === 'ended') reject(new ParallelTrainingError(`helper ${h} ended its session before it was ready`));
          else if (m.type === 'failed') reject(new ParallelTrainingError(`helper ${h} failed to start: ${m.message}`));
          // Both sides must round alike, or 2-thread results would drift from reproducible ones.
          else if (this.inWasm && m.relaxed !== this.relaxed) reject(new ParallelTrainingError(`helper ${h} built ${m.relaxed ? 'relaxed' : 'plain'} SIMD kernels, unlike the main thread`));
          else resolve();
        });
        worker.once('error', (e) => reject(new ParallelTrainingError(`helper ${h} crashed: ${e.message}`)));
        worker.once('exit', (code) => reject(new ParallelTrainingError(`helper ${h} exited with code ${code} before it was ready`)));
      }));
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await this.close();
      throw e;
    }
    for (const worker of this.workers) {
      for (const e of HELPER_EVENTS) worker.removeAllListeners(e);
      worker.on('error', (e) => {
        this.failed ??= e;
      });
    }
  }

  /** Steps whose forward took units of the first layer over from a helper, waiting for its update first (for tests and probes). */
  get splitWaits(): number {
    return this.tookOver;
  }

  /** Phase A by units: each thread's first unit of the first dense layer in the last step's forward, and its units (threads + 1 bounds); null without that split. */
  get firstLayerUnits(): readonly number[] | null {
    return this.unitsFirst ? Array.from(this.unitBounds.subarray(this.a1At, this.a1At + this.threads + 1)) : null;
  }

  /** Deferred protocol: each thread's first row of the last batch, and the batch size (threads + 1 bounds). */
  get rowBounds(): readonly number[] {
    return Array.from(this.rows);
  }

  private deferredInit(stage: DeferredSlice): DeferredInit {
    return {
      dz: [...stage.dz], x: [...stage.x], rowLosses: stage.rowLosses.buffer as SharedArrayBuffer,
      unitBounds: this.unitBounds.buffer as SharedArrayBuffer, times: this.times.buffer as SharedArrayBuffer,
      ...(this.unitsFirst ? { units: { index: this.unitsFirst.index, z: this.unitsFirst.z, a: this.unitsFirst.a, boundsAt: this.a1At } } : {}),
    };
  }

  /**
   * Slice 0's gradient in the model's grads, the helpers' in theirs (reduced by `step`, or
   * here when not split); returns the batch loss. In the deferred protocol the weight
   * gradients are left to `step`, which computes them with the update.
   */
  computeGradients(x: Float32Array, y: Float32Array, batch: number, weights: Float32Array | null): number {
    this.checkUsable();
    // An update still running on the helpers is not waited for here: slice 0's forward
    // follows it block by block (Sequential.setPendingUpdate's progress), and the helpers
    // take this command once they have finished it.
    const overlapped = this.pendingStep !== null && this.threads > 1;
    if (!overlapped) this.settle();
    if (batch > this.maxBatch) {
      this.settle();
      throw new ParallelTrainingError(`batch of ${batch} rows exceeds the trainer's batchSize ${this.maxBatch}`);
    }
    this.slice0.batch = batch;
    if (this.threads === 1) {
      const loss = this.model.computeGradients(x, y, batch, weights, true, this.slice0);
      this.lastOutput.set(this.model.lastOutput.subarray(0, batch * this.outSize));
      return loss;
    }
    if (this.stage) {
      const now = performance.now();
      let split = this.fixedSplit;
      if (this.chooser) {
        // The last step's time per row, from its start to this one's (fit's own work included;
        // per row, so a short last batch of an epoch does not look fast).
        if (this.lastSplit !== null) this.chooser.record((now - this.lastStepAt) / this.lastBatch);
        split = this.chooser.next();
      }
      // A change of split waits for the last update first: simply safe, and rare.
      if (this.lastSplit !== null && split !== this.lastSplit) this.settle();
      this.lastSplit = split;
      this.lastStepAt = now;
      this.lastBatch = batch;
      this.splitSteps[split]++;
      return split === 'units' && this.unitsFirst
        ? this.computeUnitsFirst(this.stage, this.unitsFirst, x, batch, y, weights)
        : this.computeDeferred(this.stage, x, y, batch, weights);
    }
    if (this.unit) return this.computeUnitSplit(this.unit, x, y, batch, weights);
    const ctrl = this.ctrl;
    const lead = leadRows(this.model.paramCount, this.flopsPerSample, batch, this.threads);
    for (let h = 1; h < this.threads; h++) {
      const [s, e] = rowBounds(h, batch, this.threads, lead);
      Atomics.store(ctrl, helperBase(h) + START, s);
      Atomics.store(ctrl, helperBase(h) + END, e);
    }
    const [, end0] = rowBounds(0, batch, this.threads, lead);
    // Inputs already in the shared wasm memory (fit gathers there) are read in place.
    if (this.inWasm && defaultWasmKernels().arena.owns(x)) Atomics.store(ctrl, XPTR, x.byteOffset);
    else {
      Atomics.store(ctrl, XPTR, 0);
      this.x.set(x.subarray(end0 * this.xSize, batch * this.xSize), end0 * this.xSize);
    }
    this.y.set(y.subarray(end0 * this.ySize, batch * this.ySize), end0 * this.ySize);
    if (weights) this.w.set(weights.subarray(end0, batch), end0);
    Atomics.store(ctrl, BATCH, batch);
    Atomics.store(ctrl, WEIGHTS, weights ? 1 : 0);
    const gen = this.signal(COMPUTE);
    let loss: number;
    try {
      loss = this.model.computeGradients(x, y, end0, weights, true, this.slice0);
      this.lastOutput.set(this.model.lastOutput.subarray(0, end0 * this.outSize));
    } finally {
      // Even when slice 0 throws: the helpers must be idle before anything touches the batch.
      // Having done this command, they have done the update before it too.
      if (overlapped) {
        this.pendingStep = null;
        this.model.setPendingUpdate(null);
      }
      this.waitHelpers(gen);
    }
    for (let h = 1; h < this.threads; h++) loss += this.losses[h];
    if (this.splitStep) this.pendingReduce = true;
    else reduceRange(this.grads, 0, this.model.paramCount, this.add);
    return loss;
  }

  /**
   * The deferred protocol's phase A: every thread runs the forward and the backward to the
   * inputs on its rows (split by measured speed) and leaves dz, the layer inputs and its rows'
   * losses in the stage. The loss is the row terms summed in row order, as one thread would.
   */
  private computeDeferred(stage: DeferredSlice, x: Float32Array, y: Float32Array, batch: number, weights: Float32Array | null): number {
    // This thread's phase B and fit's work since, for the split of the next units.
    const mainUnits = this.pendingStep === null ? -1 : performance.now() - this.stepStart;
    // With one helper, its last phase B may run on: it takes this COMPUTE after it, and this
    // thread's forward waits for its units (deferredProgress). With several, each helper's
    // forward reads units the others update, so they all finish first.
    if (this.threads > 2) this.settle();
    this.pendingRows = 0;
    const xb = this.sharedInputs(x, batch);
    const rows = this.rows;
    const end0 = this.postRows(this.speed, batch, y, weights);
    const gen = this.signal(COMPUTE);
    try {
      if (end0 > 0) {
        const t0 = performance.now();
        this.waitedInForward = 0;
        this.sliceD.batch = batch;
        this.model.computeGradients(xb, y, end0, weights, true, this.sliceD);
        this.lastOutput.set(this.model.lastOutput.subarray(0, end0 * this.outSize));
        // The helper's row time starts after its phase B: so does this thread's.
        this.speed.record('rows', 0, end0, performance.now() - t0 - this.waitedInForward);
      }
    } finally {
      this.waitHelpers(gen);
    }
    for (let h = 1; h < this.threads; h++) this.speed.record('rows', h, rows[h + 1] - rows[h], this.times[h * 2]);
    // Usually settled in this thread's forward; with no rows of its own it ran none.
    return this.endPhaseA(stage, this.speed, mainUnits, batch, xb);
  }

  /**
   * The end of the deferred protocol's phase A (by rows or by units): the last phase B's
   * times into `speed` (nothing waits: the helpers took this COMPUTE after their phase B), the
   * rows whose weight gradients `step` computes, and the loss: the row terms summed in row
   * order, as one thread would, and the penalty.
   */
  private endPhaseA(stage: DeferredSlice, speed: SpeedSplit, mainUnits: number, batch: number, xb: Float32Array): number {
    if (mainUnits >= 0) {
      this.settle();
      speed.record('units', 0, speed.unitShare(0), mainUnits);
      for (let h = 1; h < this.threads; h++) speed.record('units', h, speed.unitShare(h), this.times[h * 2 + 1]);
    }
    let sum = 0;
    const losses = stage.rowLosses;
    for (let r = 0; r < batch; r++) sum += losses[r];
    this.pendingRows = batch;
    this.pendingX = xb;
    return sum / batch + this.model.regularizationPenalty(false);
  }

  /**
   * Where the helpers and the weight gradients read the whole batch's inputs: in place when
   * fit gathered them into the shared memory, else a copy there (after the helpers' last
   * phase B, which may still read the last copy). Sets XPTR.
   */
  private sharedInputs(x: Float32Array, batch: number): Float32Array {
    let xb = x;
    if (!defaultWasmKernels().arena.owns(x)) {
      this.settle();
      this.x.set(x.subarray(0, batch * this.xSize));
      xb = this.x;
    }
    Atomics.store(this.ctrl, XPTR, xb.byteOffset);
    return xb;
  }

  /** Splits the batch's rows by `speed` into `rows`, gives each helper its rows, labels and sample weights, and sets BATCH; returns the calling thread's last row. */
  private postRows(speed: SpeedSplit, batch: number, y: Float32Array, weights: Float32Array | null): number {
    const ctrl = this.ctrl;
    const rows = this.rows;
    speed.rowBounds(batch, rows);
    for (let h = 1; h < this.threads; h++) {
      Atomics.store(ctrl, helperBase(h) + START, rows[h]);
      Atomics.store(ctrl, helperBase(h) + END, rows[h + 1]);
    }
    const end0 = rows[1];
    this.y.set(y.subarray(end0 * this.ySize, batch * this.ySize), end0 * this.ySize);
    if (weights) this.w.set(weights.subarray(end0, batch), end0);
    Atomics.store(ctrl, BATCH, batch);
    Atomics.store(ctrl, WEIGHTS, weights ? 1 : 0);
    return end0;
  }

  /**
   * The deferred protocol's phase A by units, in two parts. First every thread computes its units of
   * the first dense layer for every row (their weights it updated itself: nothing waits for
   * the last phase B, but for units the calling thread takes over from a helper); then, each
   * thread on its rows, that layer's bias and activation, the rest of the model, the loss
   * and the backward to the inputs, leaving the stage as the deferred protocol's phase A.
   * The threads meet between the parts (every unit of the rows' inputs) and after them.
   */
  private computeUnitsFirst(stage: DeferredSlice, units: NonNullable<ParallelTrainer['unitsFirst']>, x: Float32Array, batch: number, y: Float32Array, weights: Float32Array | null): number {
    // This thread's phase B and fit's work since, for the split of the next units.
    const mainUnits = this.pendingStep === null ? -1 : performance.now() - this.stepStart;
    const T = this.threads;
    this.pendingRows = 0;
    const xb = this.sharedInputs(x, batch);
    // The first layer's units by forward speed (the calling thread's past its last phase B's
    // wait for the helpers' update), the rows after it by their speed.
    if (T === 2) {
      this.speedA.planUnits();
      this.speedA.unitBounds(this.model.deferredLayout?.[0]?.units ?? 0, this.unitBounds, this.a1At, UNITS_ALIGN);
    } else {
      // Each helper's forward may read only units it or this thread updated: phase B's split.
      for (let t = 0; t <= T; t++) this.unitBounds[this.a1At + t] = this.unitBounds[t];
    }
    units.j0 = 0;
    units.j1 = this.unitBounds[this.a1At + 1];
    units.split = this.unitBounds[1];
    const rows = this.rows;
    const end0 = this.postRows(this.speedR, batch, y, weights);
    const gen = this.signal(COMPUTE_UNITS);
    let ownForward = 0;
    let tailTime = 0;
    try {
      const t0 = performance.now();
      this.waitedInForward = 0;
      this.model.forwardUnits(xb, batch, true, units);
      ownForward = performance.now() - t0 - this.waitedInForward;
      // Every thread's units in: the helpers' rows may go on (each reads all the units).
      this.waitUnitsDone(gen);
      this.releaseUnits(gen);
      if (end0 > 0) {
        const t1 = performance.now();
        this.sliceU.batch = batch;
        this.model.computeGradients(xb, y, end0, weights, true, this.sliceU);
        this.lastOutput.set(this.model.lastOutput.subarray(0, end0 * this.outSize));
        tailTime = performance.now() - t1;
      }
    } finally {
      // A helper waits for this thread's units before its rows: never leave it waiting.
      this.releaseUnits(gen);
      this.waitHelpers(gen);
    }
    // The helpers' first-layer and after-first-layer times follow every thread's phase A and B times.
    const ut = T * 2;
    this.speedA.record('units', 0, this.speedA.unitShare(0), ownForward);
    this.speedR.record('rows', 0, end0, tailTime);
    for (let h = 1; h < T; h++) {
      this.speedA.record('units', h, this.speedA.unitShare(h), this.times[ut + h * 2]);
      this.speedR.record('rows', h, rows[h + 1] - rows[h], this.times[ut + h * 2 + 1]);
    }
    return this.endPhaseA(stage, this.speedU, mainUnits, batch, xb);
  }

  /** Lets the helpers' rows of generation `gen` go on (once). */
  private releaseUnits(gen: number): void {
    if (Atomics.load(this.ctrl, UNITS_READY) >= gen) return;
    Atomics.store(this.ctrl, UNITS_READY, gen);
    Atomics.notify(this.ctrl, UNITS_READY);
  }

  /** Waits until every helper has its units of the first layer in (or has failed: waitHelpers then reports it). */
  private waitUnitsDone(gen: number): void {
    const t = performance.now();
    for (let h = 1; h < this.threads; h++) {
      const at = helperBase(h) + PROGRESS;
      for (let v = Atomics.load(this.ctrl, at); v < gen && v !== -1; v = Atomics.load(this.ctrl, at)) waitChange(this.ctrl, at, v);
    }
    this.waitedInForward += performance.now() - t;
  }

  /** Phase A by units: the wait for the helpers' last phase B before the units past the calling thread's own. */
  private readonly awaitSplit = (): void => {
    this.tookOver++;
    const t = performance.now();
    this.settle();
    this.waitedInForward += performance.now() - t;
  };

  /** Phase B's unit bounds before phase A by units: the first layer's by measured speed (multiples of 8 units), every later layer's on the calling thread. */
  private planUnitsFirst(layout: NonNullable<Sequential['deferredLayout']>): void {
    const T = this.threads;
    this.speedU.planUnits();
    this.speedU.unitBounds(layout[0].units, this.unitBounds, 0, UNITS_ALIGN);
    for (let i = 1; i < layout.length; i++) {
      const o = i * (T + 1);
      this.unitBounds[o] = 0;
      for (let t = 1; t <= T; t++) this.unitBounds[o + t] = layout[i].units;
    }
  }

  /**
   * The unit split, steps 1 and 2 (unitSplit.ts): every thread its part of the logits for the
   * whole batch; then this thread sums them, and computes the loss and dz2 for all rows. The
   * helpers may still be updating their units from the last step: their parts come after.
   */
  private computeUnitSplit(unit: NonNullable<ParallelTrainer['unit']>, x: Float32Array, y: Float32Array, batch: number, weights: Float32Array | null): number {
    const ctrl = this.ctrl;
    this.pendingRows = 0;
    // The helpers read the whole batch's inputs in the shared memory (and again in `step`).
    let xb = x;
    if (!defaultWasmKernels().arena.owns(x)) {
      // The helpers' last STEP may still read the copy of the last batch (fit's own buffers
      // alternate, so it never comes here).
      this.settle();
      this.x.set(x.subarray(0, batch * this.xSize));
      xb = this.x;
    }
    Atomics.store(ctrl, XPTR, xb.byteOffset);
    Atomics.store(ctrl, BATCH, batch);
    const gen = this.signal(COMPUTE);
    try {
      unit.shard.forward(xb, batch, this.forwardContext, unit.parts[0]);
    } finally {
      // Having done this command, the helpers have done the update before it too.
      this.pendingStep = null;
      this.model.setPendingUpdate(null);
      this.waitHelpers(gen);
    }
    const { loss, output, dz2 } = unit.tail.run(unit.parts, y, batch, weights);
    unit.dz2.set(dz2.subarray(0, batch * this.outSize));
    this.lastOutput.set(output.subarray(0, batch * this.outSize));
    this.pendingRows = batch;
    return loss;
  }

  /** The unit split, step 3: every thread's gradients and update of its units; the helpers' go on after this returns (see `settle`). */
  private stepUnitSplit(): void {
    const optimizer = this.model.optimizer;
    // Checked before beginRangeStep, which counts the step.
    const plan = optimizer?.updateRange ? optimizer.beginRangeStep?.() ?? null : null;
    if (plan === null) throw new ParallelTrainingError(`optimizer ${optimizer?.type ?? '(none)'} refused a range step`);
    this.stepArgs[0] = plan.lr;
    this.stepArgs[1] = plan.t;
    this.ownUpdate(this.signal(STEP), this.updateOwnUnits);
  }

  /** The calling thread's part of a unit-split update (one function for every step: nothing allocated per step). */
  private readonly updateOwnUnits = (): void => {
    const unit = this.unit;
    const update = this.model.optimizer?.updateRange;
    if (!unit || !update) return;
    unit.shard.backward(unit.dz2);
    for (const [a, b] of unit.ranges) update.call(this.model.optimizer, unit.params, this.stepArgs[0], this.stepArgs[1], a, b);
  };

  /**
   * Runs the calling thread's part of the update the helpers started (generation `gen`), then
   * returns to fit while theirs may still run: anything that reads the weights (the next
   * forward first of all) waits for them (`settle`). If its own part throws, its parameters
   * are half updated: its error (not a helper's) is reported, and the trainer refuses more work.
   */
  private ownUpdate(gen: number, work: () => void): void {
    try {
      work();
    } catch (e) {
      try {
        this.waitHelpers(gen);
      } catch {
        // the calling thread's own error is the one reported
      }
      this.failedUpdate = `the optimizer update failed on the calling thread: ${e instanceof Error ? e.message : String(e)}`;
      throw e;
    }
    this.pendingStep = gen;
    if (this.stage && (this.threads === 2 || this.lastSplit === 'units')) this.model.setPendingUpdate(() => this.settle(), this.deferredProgress, this.deferredReady);
    else this.model.setPendingUpdate(() => this.settle());
  }

  /**
   * The deferred protocol's wait for the weights during the next forward (the model's
   * pending-update progress, in flat elements): the first layer's units this thread updated
   * itself, [0, freeEnd), are final at once, so its forward starts on them while the helpers
   * finish their units; anything past them waits for the whole update (`settle`). The
   * forward ends with every element, so nothing after it (the backward writing the stage the
   * helpers' phase B reads) runs before their update is done.
   */
  private readonly deferredProgress = (elements: number): void => {
    if (elements <= this.freeEnd || this.pendingStep === null) return;
    const t = performance.now();
    this.settle();
    this.waitedInForward += performance.now() - t;
  };
  /** Deferred protocol: how long this step's forward waited for the helper's last phase B (not part of this thread's time per row). */
  private waitedInForward = 0;

  /** Without blocking: whether deferredProgress(elements) would return at once (the forward then takes the ready units in one product). */
  private readonly deferredReady = (elements: number): boolean => {
    const gen = this.pendingStep;
    if (gen === null || elements <= this.freeEnd) return true;
    for (let h = 1; h < this.threads; h++) if (Atomics.load(this.ctrl, helperBase(h) + DONE) < gen) return false;
    return true;
  };

  /**
   * The deferred protocol's phase B: every thread computes the weight gradients of its share
   * of each layer's output units (from all the batch's rows) and updates those parameters.
   */
  private stepDeferred(stage: DeferredSlice, rows: number): void {
    const model = this.model;
    const optimizer = model.optimizer;
    const layout = model.deferredLayout;
    if (!optimizer || !layout) throw new ParallelTrainingError('the model is not compiled');
    // `deferred` implies `splitStep`: the optimizer was built from a config without clip-by-norm.
    const plan = optimizer.beginRangeStep?.() ?? null;
    if (plan === null || !optimizer.updateRange) throw new ParallelTrainingError(`optimizer ${optimizer.type} refused a range step`);
    this.stepArgs[0] = plan.lr;
    this.stepArgs[1] = plan.t;
    const T = this.threads;
    if (this.lastSplit === 'units') this.planUnitsFirst(layout);
    else {
      this.speed.planUnits();
      layout.forEach((l, i) => this.speed.unitBounds(l.units, this.unitBounds, i * (T + 1)));
    }
    const params = model.params;
    // The rows and the inputs' address for this STEP in its own slots: the next COMPUTE may
    // set BATCH and XPTR while a helper's phase B still runs.
    for (let h = 1; h < T; h++) {
      Atomics.store(this.ctrl, helperBase(h) + PSTART, rows);
      Atomics.store(this.ctrl, helperBase(h) + PEND, this.pendingX.byteOffset);
    }
    const first = layout[0].params[0];
    this.freeEnd = T === 2 || this.lastSplit === 'units' ? first.offset + this.unitBounds[1] * first.perUnit : 0;
    const gen = this.signal(STEP);
    this.stepStart = performance.now();
    // fit gathers the next batch into its other input buffer meanwhile.
    this.ownUpdate(gen, () => layout.forEach((l, i) => {
      const j1 = this.unitBounds[i * (T + 1) + 1];
      model.deferredWeightGrads(l, stage.dz[l.index] as Float32Array, stage.x[l.index] ?? this.pendingX, rows, 0, j1);
      for (const p of l.params) optimizer.updateRange?.(params, plan.lr, plan.t, p.offset, p.offset + j1 * p.perUnit);
    }));
  }

  /** Reduces the gradients and updates the weights, split over the threads (fit calls it after a finite loss). */
  step(): void {
    this.checkUsable();
    this.settle();
    const optimizer = this.model.optimizer;
    if (!optimizer) throw new ParallelTrainingError('the model is not compiled');
    if (this.stage && this.pendingRows > 0) {
      const rows = this.pendingRows;
      this.pendingRows = 0;
      this.stepDeferred(this.stage, rows);
      return;
    }
    if (this.unit && this.pendingRows > 0) {
      this.pendingRows = 0;
      this.stepUnitSplit();
      return;
    }
    const plan = this.pendingReduce ? optimizer.beginRangeStep?.() ?? null : null;
    if (this.pendingReduce && plan === null) reduceRange(this.grads, 0, this.model.paramCount, this.add);
    const wasPending = this.pendingReduce;
    this.pendingReduce = false;
    if (!wasPending || plan === null || !optimizer.updateRange) {
      optimizer.step(this.model.params);
      return;
    }
    this.stepArgs[0] = plan.lr;
    this.stepArgs[1] = plan.t;
    // The helpers reduce and update the whole parameter range between them while this thread
    // returns to fit (metrics, callbacks, the next batch's gather); the model waits for them
    // (settle) before anything reads or writes its weights, the next forward first of all.
    const total = this.model.paramCount;
    for (let h = 1; h < this.threads; h++) {
      const [a, b] = partBounds(h - 1, total, this.threads - 1);
      Atomics.store(this.ctrl, helperBase(h) + PSTART, a);
      Atomics.store(this.ctrl, helperBase(h) + PEND, b);
      Atomics.store(this.ctrl, helperBase(h) + PROGRESS, a);
    }
    this.pendingStep = this.signal(STEP);
    this.model.setPendingUpdate(() => this.settle(), this.waitUpdated);
  }

  /** Blocks until the running update has finished the parameter elements [0, elements) (throws a helper's error). */
  private waitProgress(elements: number): void {
    for (let h = 1; h < this.threads; h++) {
      if (waitUpdated(this.ctrl, h, elements)) continue;
      // The helper failed or died during the update: settle reports its error.
      this.settle();
      throw new ParallelTrainingError(`helper thread ${h} stopped during the optimizer update`);
    }
  }

  /** Waits until the helpers have finished the update `step` started (throws a helper's error). */
  settle(): void {
    const gen = this.pendingStep;
    if (gen === null) return;
    this.pendingStep = null;
    this.model.setPendingUpdate(null);
    this.waitHelpers(gen);
  }

  private checkUsable(): void {
    if (this.closed) throw new ParallelTrainingError('the ParallelTrainer is closed');
    if (this.failedUpdate) throw new ParallelTrainingError(this.failedUpdate);
    if (this.failed) throw new ParallelTrainingError(`a helper thread crashed: ${this.failed.message}`);
  }

  /** Starts a command on every helper; returns its generation. */
  private signal(cmd: number): number {
    const gen = Atomics.load(this.ctrl, GEN) + 1;
    Atomics.store(this.ctrl, commandSlot(gen), cmd);
    Atomics.store(this.ctrl, GEN, gen);
    Atomics.notify(this.ctrl, GEN);
    return gen;
  }

  /** Waits until every helper has finished generation `gen`; throws the first helper error. */
  private waitHelpers(gen: number): void {
    const ctrl = this.ctrl;
    for (let h = 1; h < this.threads; h++) {
      const done = helperBase(h) + DONE;
      let v = Atomics.load(ctrl, done);
      // >=: a helper may already be past `gen` (it takes a COMPUTE right after an update).
      while (v < gen && Atomics.load(ctrl, helperBase(h) + DEAD) === 0) {
        waitChange(ctrl, done, v);
        v = Atomics.load(ctrl, done);
      }
    }
    for (let h = 1; h < this.threads; h++) {
      if (Atomics.load(ctrl, helperBase(h) + STATUS) === ERROR) {
        if (Atomics.load(ctrl, helperBase(h) + DEAD) === 1) this.failed ??= new Error(`helper ${h} exited`);
        const len = Atomics.load(ctrl, helperBase(h) + ERROR_LEN);
        const msg = new TextDecoder().decode(this.errors.slice(h * ERROR_BYTES, h * ERROR_BYTES + len));
        this.pendingReduce = false;
        throw new ParallelTrainingError(`helper thread ${h}: ${msg}`);
      }
    }
  }

  /**
   * Ends the helpers' sessions. Each helper that ended cleanly waits, warm, for the next
   * trainer on this thread (helperPool.ts); one that failed, or does not answer within 5 s,
   * is terminated.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.settle();
    } catch {
      // a helper failed its last update: it is reported by the step that needed it; closing goes on
    }
    this.closed = true;
    this.signal(EXIT);
    await Promise.all(this.workers.map((w) => this.releaseHelper(w)));
    this.workers = [];
    // No helper updates through the optimizer's shared slots any more (a terminated one is gone).
    if (this.sharesSlots) this.model.optimizer?.endSharing?.();
    liveModels.delete(this.model);
    // The helpers are done with them: give the shared arrays back (the optimizer keeps its shared slots).
    for (const a of this.owned.splice(0)) this.release(a);
  }

  /** Waits for a helper's session to end; returns it to the pool, or terminates it. */
  private releaseHelper(w: Worker): Promise<void> {
    if (w.threadId === -1) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = (keep: boolean): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        if (keep) void returnHelper(w, this.memory, this.relaxed).then(resolve);
        else void w.terminate().then(() => resolve(), () => resolve());
      };
      const onMessage = (m: HelperMessage): void => {
        if (m.type === 'ended') finish(m.clean && this.reusable && this.failed === null && this.failedUpdate === null);
      };
      const onExit = (): void => finish(false);
      const timer = setTimeout(() => finish(false), CLOSE_TIMEOUT_MS);
      w.on('message', onMessage);
      w.once('exit', onExit);
    });
  }
}
