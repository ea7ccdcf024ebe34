/**
 * A stack of layers built from a JSON spec, trained with Keras's
 * compile / fit / evaluate / predict.
 *
 *   const model = Sequential.fromSpec(spec, { seed: 42 });
 *   model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 *   const history = await model.fit({ data: x, shape: [n, 784] }, { data: y, shape: [n] }, { epochs: 5 });
 *
 * Weights and gradients live in SharedArrayBuffers (see parameterStore.ts).
 * Everything random (initialisation with `seed`, shuffling and dropout with
 * a second stream derived from it) is seeded, so a fixed seed gives
 * bit-identical weights, and a training checkpoint restores the stream.
 */
import { ModelStateError, NonFiniteLossError, SpecError } from '../errors.ts';
import { initialize } from '../init/initializers.ts';
import { LAYER_DEFS } from '../layers/registry.ts';
import type { MatmulKernelSet } from '../layers/layerEnv.ts';
import { kernels as WASM_KERNELS } from '../kernels/wasm/index.ts';
import type { ForwardContext, Layer, LayerBuffer, LayerParameter } from '../layers/types.ts';
import { Scratch, sizeOfShape } from '../layers/baseLayer.ts';
import { createOptimizer } from '../optim/createOptimizer.ts';
import type { Optimizer, OptimizerKernels } from '../optim/types.ts';
import { applyRegularizer, regularizerPenalty, setRegularizerGrad } from '../regularizers/regularizers.ts';
import { Rng, type RngState } from '../rng.ts';
import type { History, Logs } from '../train/callbacks.ts';
import { toDataset, type DataInput, type Dataset, type TensorLike } from '../train/data.ts';
import { evaluateDataset } from '../train/evaluateDataset.ts';
import { fitModel, type FitOptions } from '../train/fit.ts';
import type { GradientStrategy } from '../train/gradientStrategy.ts';
import { createLossHead, matchLoss, LOSSES, type LossHead, type LossName } from '../train/lossHeads.ts';
import { resolveMetric } from '../metrics/resolveMetric.ts';
import type { Metric } from '../metrics/metric.ts';
import { predictDataset } from '../train/predictDataset.ts';
import type { TrainingProgress } from '../train/trainingProgress.ts';
import { decodeCheckpoint, encodeCheckpoint, loadWeightsInto, encodeWeights, readCheckpointInfo } from './checkpoint.ts';
import type { NormalizedSpec } from './spec.ts';
import { ModelMemory, forget, releaseWhenCollected } from './modelMemory.ts';
import { allocateParameters, type Float32Allocator, type ParameterStore, type SharedStorage } from './parameterStore.ts';
import { formatSummary, summarizeSpec, type SpecSummary, type SummarizeOptions } from './summarizeSpec.ts';
import { validateSpec } from './validateSpec.ts';
import { deferredLayout, type DeferredLayer, type DeferredSlice, type UnitsFirst } from './deferredGradients.ts';

export interface SequentialOptions {
  /** Seed for initialisation, shuffling and dropout; random when omitted (see `model.seed`). */
  seed?: number;
  /**
   * Matmul kernels for the layers. Default: WebAssembly SIMD (kernels/wasm), 10-17x the plain
   * TypeScript ones (`PLAIN_KERNELS`, kernels/matmul.ts), which remain the reference: both pass
   * the same conformance suite.
   */
  kernels?: MatmulKernelSet;
  /**
   * Attach existing weight storage (e.g. `other.storage` sent to a worker thread) instead of
   * allocating and initialising: both models then read and write the same weights.
   */
  storage?: SharedStorage;
  /**
   * Where to allocate the weights, gradients and buffers (default: SharedArrayBuffers).
   * E.g. `(n) => wasm.arena.alloc(n)` puts them in the WebAssembly kernels' shared memory,
   * so those kernels read the weights in place instead of copying them.
   */
  allocate?: Float32Allocator;
}

export interface CompileOptions {
  /** `{ type: 'adam', learningRate: 0.001 }`, `'sgd'`, or an Optimizer instance. */
  optimizer: unknown;
  /** Keras loss name: `sparseCategoricalCrossentropy`, `sparse_categorical_crossentropy`, `mse`... */
  loss: string;
  metrics?: string[];
}

/** The seed offset of the training stream (shuffle, dropout) relative to the init stream. */
const TRAIN_STREAM = 0x632be5ab;

/** How computeGradients prepares the gradients: arrays to zero, and parameters a layer writes whole. */
interface GradPlan {
  zero: Float32Array[];
  unset: LayerParameter[];
}

export class Sequential {
  readonly spec: NormalizedSpec;
  readonly layers: readonly Layer[];
  readonly seed: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Set to true (e.g. from a callback) to stop fit after the current batch. */
  stopTraining = false;
  optimizer: Optimizer | null = null;
  /** The optimizer config given to compile (null when it was an Optimizer instance), e.g. for another thread to build the same. */
  optimizerConfig: unknown = null;
  lossName: LossName | null = null;
  lossHead: LossHead | null = null;
  metricNames: string[] = [];
  /** Shuffle and dropout stream; saved in training checkpoints. */
  readonly trainRng: Rng;
  readonly progress: TrainingProgress = {
    epoch: 0, batchInEpoch: 0, step: 0, epochStartRng: null, lossSum: 0, seen: 0, batchSize: 0, trainCount: 0, resumeEpoch: null,
  };
  private readonly store: ParameterStore;
  private readonly lossGrad: Scratch;
  /** The output of the last forward (predictions of the last training batch, before its update). */
  lastOutput: Float32Array = new Float32Array(0);
  private readonly hasParamsBelow: boolean[];
  private readonly kernels: MatmulKernelSet;
  /** Blocks from the kernel set's allocator (weights, grads, slots, scratch); see modelMemory.ts. */
  private readonly memory: ModelMemory | null = null;

  private constructor(spec: NormalizedSpec, seed: number, kernels: MatmulKernelSet, storage?: SharedStorage, allocate?: Float32Allocator) {
    this.spec = spec;
    this.seed = seed >>> 0;
    this.kernels = kernels;
    if (kernels.allocate && kernels.release) {
      this.memory = new ModelMemory(kernels.allocate, kernels.release);
      releaseWhenCollected(this, this.memory);
    }
    this.lossGrad = new Scratch(this.memory ?? undefined);
    const layers: Layer[] = [];
    let shape: readonly number[] = spec.inputShape;
    const env = this.memory ? { kernels, allocate: this.memory.allocate, release: this.memory.release } : { kernels };
    spec.layers.forEach((cfg, i) => {
      const layer = LAYER_DEFS[cfg.type].create(cfg, i, env);
      if (this.memory) layer.useMemory?.({ allocate: this.memory.allocate, release: this.memory.release });
      shape = layer.build(shape);
      layers.push(layer);
    });
    this.layers = layers;
    this.inputShape = [...spec.inputShape];
    this.outputShape = [...shape];
    this.store = allocateParameters(layers, storage, allocate ?? this.memory?.allocate);
    if (!storage) {
      const rng = new Rng(this.seed);
      for (const layer of layers) {
        layer.paramDecls.forEach((d, j) => initialize(d.initializer, layer.params[j].value, d.shape, rng));
        layer.bufferDecls.forEach((d, j) => initialize(d.initializer, layer.buffers[j].value, d.shape, rng));
      }
    }
    this.trainRng = new Rng((this.seed + TRAIN_STREAM) >>> 0);
    let below = false;
    this.hasParamsBelow = layers.map((l) => {
      const r = below;
      if (l.paramCount > 0) below = true;
      return r;
    });
  }

  /** Validates the spec (throws SpecError naming layer, field and shapes) and allocates the weights. */
  static fromSpec(spec: unknown, options: SequentialOptions = {}): Sequential {
    const { spec: normalized } = validateSpec(spec);
    const seed = options.seed ?? Math.floor(Math.random() * 4294967296);
    if (!Number.isInteger(seed)) throw new SpecError('seed', `must be an integer, got ${seed}`);
    return new Sequential(normalized, seed, options.kernels ?? WASM_KERNELS, options.storage, options.allocate);
  }

  /**
   * Registers an update of the weights still running on another thread (a data-parallel
   * optimizer step that overlaps the next batch's preparation): `wait` blocks until it is
   * done. Every method that reads or writes the weights (forward, weights and checkpoint
   * I/O, `params`, `storage`) calls it first; pass null once it has completed.
   *
   * When the update is written front to back in parameter order, `progress(e)` blocks
   * until the flat elements [0, e) are final: a forward then waits layer by layer (and a
   * layer with `awaitsParams` part by part) instead of for the whole update, so it overlaps
   * the update's tail. The gradients are zeroed only after the forward, which has by then
   * waited for the whole update (the updating thread reads them until the end). `ready(e)`,
   * when given, says without blocking whether [0, e) is final already (see
   * ForwardContext.paramReady).
   */
  setPendingUpdate(wait: (() => void) | null, progress: ((elements: number) => void) | null = null, ready: ((elements: number) => boolean) | null = null): void {
    this.pendingUpdate = wait;
    this.pendingProgress = wait === null ? null : progress;
    this.pendingReady = wait === null || progress === null ? null : ready;
  }

  /** Waits for a pending update of the weights (see setPendingUpdate); a no-op otherwise. */
  settle(): void {
    const wait = this.pendingUpdate;
    if (wait === null) return;
    this.pendingUpdate = null;
    wait();
  }

  private pendingUpdate: (() => void) | null = null;
  private pendingProgress: ((elements: number) => void) | null = null;
  private pendingReady: ((elements: number) => boolean) | null = null;
  private readonly awaitParam = (param: Float32Array, elements: number): void => {
    this.pendingProgress?.((param.byteOffset - this.store.values.byteOffset) / 4 + elements);
  };
  private readonly paramReady = (param: Float32Array, elements: number): boolean => {
    if (this.pendingProgress === null) return true;
    return this.pendingReady?.((param.byteOffset - this.store.values.byteOffset) / 4 + elements) ?? false;
  };

  /** The flat SharedArrayBuffer-backed storage (weights, gradients, buffers), for other threads. */
  get storage(): { values: Float32Array; grads: Float32Array; bufferValues: Float32Array } {
    this.settle();
    return { values: this.store.values, grads: this.store.grads, bufferValues: this.store.bufferValues };
  }

  get params(): readonly LayerParameter[] {
    this.settle();
    return this.store.params;
  }

  get buffers(): readonly LayerBuffer[] {
    return this.store.buffers;
  }

  get paramCount(): number {
    return this.store.values.length;
  }

  /** Values per sample of the output, and the size of its last axis. */
  get outputSize(): number {
    return sizeOfShape(this.outputShape);
  }

  get outputCols(): number {
    return this.outputShape[this.outputShape.length - 1];
  }

  summary(options?: SummarizeOptions): SpecSummary & { text: string } {
    const s = summarizeSpec(this.spec, options);
    return { ...s, text: formatSummary(s) };
  }

  compile(options: CompileOptions): void {
    const opt = options.optimizer;
    this.optimizer = isOptimizer(opt) ? opt : createOptimizer(opt, 'optimizer');
    this.optimizerConfig = isOptimizer(opt) ? null : opt;
    this.optimizer.useKernels?.(this.optimizerKernels());
    if (typeof options.loss !== 'string') throw new SpecError('loss', `must be a loss name; valid: ${LOSSES.join(', ')}`);
    const loss = matchLoss(options.loss);
    if (loss === undefined) throw new SpecError('loss', `unknown loss ${JSON.stringify(options.loss)}; valid: ${LOSSES.join(', ')}`);
    this.lossName = loss;
    const last = this.layers[this.layers.length - 1];
    this.lossHead = createLossHead(loss, last.outputActivation);
    const metrics = options.metrics ?? [];
    this.metricNames = [...metrics];
    this.createMetrics();
  }

  /** Fresh metric accumulators for the compiled metrics (or `names`). */
  createMetrics(names: readonly string[] = this.metricNames): Metric[] {
    const loss = this.requireCompiled().lossName;
    return names.map((m, i) => resolveMetric(m, loss, { outputWidth: this.outputCols, sparseLabels: loss === 'sparseCategoricalCrossentropy', path: `metrics[${i}]` }));
  }

  private requireCompiled(): { optimizer: Optimizer; lossHead: LossHead; lossName: LossName } {
    if (!this.optimizer || !this.lossHead || !this.lossName) throw new ModelStateError('call compile({ optimizer, loss }) first');
    return { optimizer: this.optimizer, lossHead: this.lossHead, lossName: this.lossName };
  }

  /**
   * Runs the layers on a batch of `batch` samples. The result is reused by the next call.
   * With `units` (deferredGradients.ts, UnitsFirst; after `forwardUnits` filled every unit of
   * the layer at `units.index`), these rows start at that layer's bias and activation, from
   * its pre-activation rows at `row0` of `units.z`.
   */
  forward(x: Float32Array, batch: number, training: boolean, units?: UnitsFirst, row0 = 0): Float32Array {
    const progress = this.pendingProgress;
    if (progress === null) this.settle();
    const ctx: ForwardContext = progress === null
      ? { training, rng: this.trainRng }
      : { training, rng: this.trainRng, awaitParam: this.awaitParam, ...(this.pendingReady ? { paramReady: this.paramReady } : {}) };
    let h = x;
    for (let i = units ? units.index : 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      if (units && i === units.index) {
        h = this.finishUnits(layer, x, batch, units, row0);
        continue;
      }
      if (progress !== null && !layer.awaitsParams) progress(this.layerParamEnd[i]);
      h = layer.forward(h, batch, ctx);
    }
    // Every parameter is final now (the update itself may still be reporting done).
    if (progress !== null) progress(this.store.values.length);
    this.lastOutput = h;
    return h;
  }

  /**
   * A thread's part of a tensor-parallel first layer (UnitsFirst): the layers before
   * `units.index` on every row, then that layer's units [j0, j1) into `units.z` (from
   * `units.split` on after `units.awaitSplit`). `forward` with `units` goes on from there.
   */
  forwardUnits(x: Float32Array, batch: number, training: boolean, units: UnitsFirst): void {
    const ctx: ForwardContext = { training, rng: this.trainRng };
    let h = x;
    for (let i = 0; i < units.index; i++) h = this.layers[i].forward(h, batch, ctx);
    // Flatten and reshape hand the model's input on: then the rows' input is the rows given later.
    this.unitsInput = h === x ? null : h;
    this.unitsReady = true;
    const l = this.unitsLayer(this.layers[units.index]);
    const { j0, j1, split } = units;
    // [j0, own) first; the rest (from `split` on) after the wait.
    const own = split === undefined ? j1 : Math.max(j0, Math.min(split, j1));
    if (own > j0) l.forwardUnits(h, batch, j0, own, units.z);
    if (own < j1) {
      units.awaitSplit?.();
      l.forwardUnits(h, batch, own, j1, units.z);
    }
  }

  /** The layer's input of every row in the last `forwardUnits` when the layers before it computed one (null: the model's input itself). */
  private unitsInput: Float32Array | null = null;
  private unitsReady = false;

  private finishUnits(layer: Layer, x: Float32Array, batch: number, units: UnitsFirst, row0: number): Float32Array {
    const l = this.unitsLayer(layer);
    if (!this.unitsReady) throw new ModelStateError('forward: slice.units needs forwardUnits first');
    // The model's input rows are `x` itself (a view made now: the memory may have grown since
    // forwardUnits); the output of layers before it, this thread's own rows of theirs.
    const inSize = sizeOfShape(layer.inputShape);
    const input = this.unitsInput;
    const rows = input === null ? x : input.subarray(row0 * inSize, (row0 + batch) * inSize);
    const units1 = sizeOfShape(layer.outputShape);
    return l.finishUnits(rows, units.z.subarray(row0 * units1), units.a.subarray(row0 * units1), batch);
  }

  private unitsLayer(layer: Layer | undefined): Required<Pick<Layer, 'forwardUnits' | 'finishUnits'>> {
    if (!layer?.forwardUnits || !layer.finishUnits) throw new ModelStateError(`forwardUnits: layer ${layer?.name ?? '(none)'} cannot split its units`);
    return layer as Required<Pick<Layer, 'forwardUnits' | 'finishUnits'>>;
  }

  /** Per layer, the flat index just past its last parameter element (0 for a layer without any before). */
  private get layerParamEnd(): readonly number[] {
    if (this.paramEnds === null) {
      const base = this.store.values.byteOffset;
      let end = 0;
      this.paramEnds = this.layers.map((l) => {
        for (const p of l.params) end = Math.max(end, (p.value.byteOffset - base) / 4 + p.value.length);
        return end;
      });
    }
    return this.paramEnds;
  }

  private paramEnds: number[] | null = null;

  /** Penalty of every regularised parameter; with `addGrads`, also accumulates its gradient. */
  regularizationPenalty(addGrads = false): number {
    this.settle();
    let total = 0;
    for (const p of this.store.params) {
      if (!p.regularizer) continue;
      total += addGrads ? applyRegularizer(p.regularizer, p.value, p.grad) : regularizerPenalty(p.regularizer, p.value);
    }
    return total;
  }

  /**
   * Zeroes the gradients, runs forward (training mode) and backward on one batch, and returns
   * the loss (Keras reduction: sum of weighted per-sample losses / batch, plus regularisation).
   * Gradients are left in each parameter's `grad`. Does not step the optimizer.
   *
   * For data parallelism, `slice` makes this batch one slice of a larger one: the loss and
   * its gradient are divided by `slice.batch` (the whole batch's size) instead of `batch`,
   * and the regularisation (penalty and gradient) is left out unless `slice.regularize`,
   * so the slices' losses and gradients sum to the whole batch's (up to float rounding).
   *
   * With `slice.deferred` (see deferredGradients.ts; needs `deferredLayout`), no parameter
   * gradient is touched: the backward stops at each layer's input gradient and leaves the
   * slice's dz and layer inputs in the deferred arrays at rows `row0..`, and its rows' loss
   * terms in `rowLosses`; the regularisation gradient is left to `deferredWeightGrads`.
   */
  computeGradients(
    x: Float32Array, y: Float32Array, batch: number, weights: Float32Array | null = null, training = true,
    slice?: { readonly batch: number; readonly regularize: boolean; readonly deferred?: DeferredSlice; readonly units?: UnitsFirst },
  ): number {
    const { lossHead } = this.requireCompiled();
    const total = slice?.batch ?? batch;
    if (!(Number.isInteger(total) && total >= batch)) throw new ModelStateError(`computeGradients: slice.batch (${total}) must be an integer >= batch (${batch})`);
    const deferred = slice?.deferred;
    if (deferred && this.deferredLayout === null) throw new ModelStateError('computeGradients: this model cannot defer its weight gradients (see deferredLayout)');
    if (slice?.units && !deferred) throw new ModelStateError('computeGradients: slice.units needs slice.deferred');
    const out = this.forward(x, batch, training, slice?.units, deferred?.row0 ?? 0);
    // After the forward: a pending update (setPendingUpdate) reads the gradients until it ends.
    if (!deferred) this.beginGradients();
    const last = this.layers[this.layers.length - 1];
    const fused = lossHead.fromLogits;
    const input = fused ? (last.logits as Float32Array) : out;
    const outSize = this.outputSize;
    const g = this.lossGrad.get(batch * outSize);
    // Each row's gradient as the whole batch gives it: divided by `total`, whatever the slice.
    const rowLosses = deferred?.rowLosses.subarray(deferred.row0, deferred.row0 + batch);
    const sum = lossHead.compute(input, y, batch, outSize, this.outputCols, weights, g, total, rowLosses);
    let loss = sum / total;
    if (slice?.regularize ?? true) loss += this.regularizationPenalty(!deferred);
    if (Number.isFinite(loss)) {
      if (deferred) this.backwardToInputs(x, g, batch, fused, deferred);
      else {
        let dy: Float32Array | undefined = g;
        for (let i = this.layers.length - 1; i >= 0 && dy; i--) {
          dy = this.layers[i].backward(dy, batch, this.hasParamsBelow[i], fused && i === this.layers.length - 1);
        }
      }
    }
    if (!deferred) this.endGradients();
    return loss;
  }

  /** The deferred backward (see computeGradients): input gradients only; dz and x rows go to the slice's arrays. */
  private backwardToInputs(x: Float32Array, g: Float32Array, batch: number, fused: boolean, slice: DeferredSlice): void {
    const lastIndex = this.layers.length - 1;
    let dy: Float32Array | undefined = g;
    for (let i = lastIndex; i >= 0 && dy; i--) {
      const layer = this.layers[i];
      const fromLogits = fused && i === lastIndex;
      if (layer.paramCount === 0) {
        dy = layer.backward(dy, batch, this.hasParamsBelow[i], fromLogits);
        continue;
      }
      const r = (layer.backwardInputs as NonNullable<Layer['backwardInputs']>)(dy, batch, this.hasParamsBelow[i], fromLogits);
      const units = sizeOfShape(layer.outputShape);
      (slice.dz[i] as Float32Array).set(r.dz.subarray(0, batch * units), slice.row0 * units);
      const xAll = slice.x[i];
      if (xAll) {
        const inSize = sizeOfShape(layer.inputShape);
        // Not when the rows are there already (a tensor-parallel forward's output, UnitsFirst).
        if (xAll.buffer !== r.x.buffer || xAll.byteOffset + slice.row0 * inSize * 4 !== r.x.byteOffset) xAll.set(r.x.subarray(0, batch * inSize), slice.row0 * inSize);
      } else if (r.x.buffer !== x.buffer || r.x.byteOffset !== x.byteOffset) {
        throw new ModelStateError(`computeGradients: layer ${layer.name} does not read the model's input, but the deferred slice has no input rows for it`);
      }
      dy = r.dx;
    }
  }

  /**
   * The layers with parameters for deferred weight gradients (deferredGradients.ts), or null
   * when some layer cannot take part (parameters without `backwardInputs`, buffers, a
   * parameter-free layer that is not row by row, such as dropout).
   */
  get deferredLayout(): readonly DeferredLayer[] | null {
    if (this.deferred === undefined) {
      const base = this.store.values.byteOffset;
      this.deferred = deferredLayout(this.layers, (p) => (p.byteOffset - base) / 4);
    }
    return this.deferred;
  }

  private deferred: DeferredLayer[] | null | undefined = undefined;

  /**
   * The parameter gradients of units [j0, j1) of `layer` from the whole batch's dz and layer
   * input (rows as the deferred slices left them), with their regularisation gradient, as
   * `computeGradients` on the whole batch makes them: the regulariser's gradient first, the
   * product added onto it. Any split of the units between threads gives the same floats.
   */
  deferredWeightGrads(layer: DeferredLayer, dz: Float32Array, x: Float32Array, rows: number, j0: number, j1: number): void {
    if (j1 <= j0) return;
    const l = this.layers[layer.index];
    for (const p of l.params) {
      if (!p.regularizer) continue;
      const per = p.value.length / layer.units;
      setRegularizerGrad(p.regularizer, p.value.subarray(j0 * per, j1 * per), p.grad.subarray(j0 * per, j1 * per));
    }
    (l.weightGradUnits as NonNullable<Layer['weightGradUnits']>)(dz, x, rows, j0, j1);
  }

  /**
   * Zeroes the gradients, except those a layer will write whole (`overwritesWeightGrad`,
   * unregularised: a regulariser's gradient is added before the backward), which are only
   * marked `gradUnset`: the weight gradient of a dense layer is its largest, and writing it
   * directly saves a pass over it and reading it back in the accumulating GEMM.
   */
  private beginGradients(): void {
    const plan = this.gradPlan ??= this.planGradients();
    for (const g of plan.zero) g.fill(0);
    for (const p of plan.unset) p.gradUnset = true;
  }

  /** Zeroes any marked gradient no backward reached (the backward stopped early, or a non-finite loss skipped it). */
  private endGradients(): void {
    for (const p of (this.gradPlan as GradPlan).unset) {
      if (!p.gradUnset) continue;
      p.grad.fill(0);
      p.gradUnset = false;
    }
  }

  private planGradients(): GradPlan {
    const plan: GradPlan = { zero: [], unset: [] };
    for (const layer of this.layers) {
      layer.params.forEach((p, j) => {
        if (j === 0 && layer.overwritesWeightGrad && !p.regularizer) plan.unset.push(p);
        else plan.zero.push(p.grad);
      });
    }
    return plan;
  }

  private gradPlan: GradPlan | null = null;

  /**
   * Backward after `forward(x, batch, true)`, from `dy` = dL/d(output) (or dL/d(logits) of the last
   * layer's final activation with `fromLogits`). Accumulates (+=) into the parameter grads (it does
   * not zero them) and, with `inputGrad`, returns dL/dx of the model's input (a buffer reused by the
   * next backward), e.g. for a GAN's generator step through the discriminator.
   */
  backward(dy: Float32Array, batch: number, options: { fromLogits?: boolean; inputGrad?: boolean } = {}): Float32Array | undefined {
    const last = this.layers.length - 1;
    let g: Float32Array | undefined = dy;
    for (let i = last; i >= 0 && g; i--) {
      g = this.layers[i].backward(g, batch, options.inputGrad === true || this.hasParamsBelow[i], options.fromLogits === true && i === last);
    }
    return options.inputGrad === true ? g : undefined;
  }

  /**
   * One optimizer step on one batch; throws NonFiniteLossError (without stepping) on a NaN/inf loss.
   * `gradients` replaces `computeGradients` (e.g. data-parallel; see GradientStrategy).
   */
  trainStep(x: Float32Array, y: Float32Array, batch: number, weights: Float32Array | null, epoch: number, gradients?: GradientStrategy): number {
    const { optimizer } = this.requireCompiled();
    const loss = gradients ? gradients.computeGradients(x, y, batch, weights) : this.computeGradients(x, y, batch, weights, true);
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(this.progress.step, epoch, loss);
    if (gradients?.step) gradients.step();
    else optimizer.step(this.store.params);
    this.progress.step++;
    return loss;
  }

  private fitting = false;

  /** Keras's fit. One fit at a time per model (a second concurrent call rejects). */
  async fit(x: DataInput, y: DataInput, options: FitOptions = {}): Promise<History> {
    this.requireCompiled();
    if (this.fitting) throw new ModelStateError('fit is already running on this model');
    this.fitting = true;
    try {
      return await fitModel(this, toDataset(x, 'x'), toDataset(y, 'y'), options);
    } finally {
      this.fitting = false;
    }
  }

  evaluate(x: DataInput, y: DataInput, options: { batchSize?: number } = {}): Logs {
    this.requireCompiled();
    return evaluateDataset(this, toDataset(x, 'x'), toDataset(y, 'y'), options.batchSize ?? 32);
  }

  predict(x: DataInput, options: { batchSize?: number } = {}): TensorLike & { data: Float32Array } {
    const d: Dataset = toDataset(x, 'x');
    return { data: predictDataset(this, d, options.batchSize ?? 32), shape: [d.count, ...this.outputShape] };
  }

  /** What an optimizer of this model's weights should use: its kernels' update loops and its memory for slots. */
  optimizerKernels(): OptimizerKernels {
    return {
      ...(this.kernels.adam ? { adam: this.kernels.adam } : {}),
      ...(this.memory ? { allocate: this.memory.allocate, release: this.memory.release } : {}),
    };
  }

  /** `n` zeroed floats where this model's kernels use them in place (e.g. a batch buffer); give back with `releaseScratch`. */
  allocateScratch(n: number): Float32Array {
    return this.memory ? this.memory.allocate(n) : new Float32Array(n);
  }

  releaseScratch(x: Float32Array): void {
    this.memory?.release(x);
  }

  /** The matmul kernels the layers run on (for code computing parts of a step itself: unitSplit.ts). */
  get kernelSet(): MatmulKernelSet {
    return this.kernels;
  }

  /**
   * Gives the model's memory back to its kernels' allocator now instead of when the model is
   * collected. The model (and every view of its weights) must not be used afterwards.
   */
  dispose(): void {
    this.settle();
    if (!this.memory) return;
    forget(this.memory);
    this.memory.releaseAll();
  }

  /** A copy of all trainable weights and buffers, flat, in parameter order. */
  getWeights(): Float32Array {
    this.settle();
    const out = new Float32Array(this.store.values.length + this.store.bufferValues.length);
    out.set(this.store.values);
    out.set(this.store.bufferValues, this.store.values.length);
    return out;
  }

  setWeights(w: Float32Array): void {
    this.settle();
    const n = this.store.values.length;
    if (w.length !== n + this.store.bufferValues.length) {
      throw new ModelStateError(`setWeights: expected ${n + this.store.bufferValues.length} values, got ${w.length}`);
    }
    this.store.values.set(w.subarray(0, n));
    this.store.bufferValues.set(w.subarray(n));
  }

  /** Weights as safetensors (`layers.<i>.weight` [out,in], `layers.<i>.bias`), loadable by `nn.Module.load_state_dict`. */
  saveWeights(): Uint8Array {
    this.settle();
    return encodeWeights(this.store.params, this.store.buffers);
  }

  /** Loads weights saved by `saveWeights` (or a checkpoint); throws WeightsMismatchError naming the tensor and both shapes. */
  loadWeights(bytes: Uint8Array): void {
    this.settle();
    loadWeightsInto(bytes, this.store.params, this.store.buffers);
  }

  /** Weights + optimizer state + RNG state + epoch/step: resuming from it is bit-identical to not stopping. */
  saveCheckpoint(): Uint8Array {
    this.settle();
    const { optimizer } = this.requireCompiled();
    return encodeCheckpoint({
      params: this.store.params,
      buffers: this.store.buffers,
      optimizer: optimizer.getState(),
      rng: this.trainRng.getState(),
      progress: this.progress,
      seed: this.seed,
      spec: this.spec,
    });
  }

  /**
   * Restores a training checkpoint into a compiled model built from the same spec. The next
   * `fit` continues where it stopped (its `initialEpoch` defaults to the checkpoint's epoch).
   */
  loadCheckpoint(bytes: Uint8Array): void {
    this.settle();
    const { optimizer } = this.requireCompiled();
    // Checked before any weight is loaded: a refused checkpoint leaves the model as it was.
    const c = decodeCheckpoint(bytes, this.store.params, this.store.buffers, (state) => {
      if (state.type !== optimizer.type) {
        throw new ModelStateError(`checkpoint was saved with optimizer ${state.type} but the model is compiled with ${optimizer.type}`);
      }
      optimizer.checkState?.(state);
    });
    optimizer.setState(c.optimizer);
    this.trainRng.setState(c.rng);
    this.progress.epoch = c.progress.epoch;
    this.progress.batchInEpoch = c.progress.batchInEpoch;
    this.progress.step = c.progress.step;
    this.progress.epochStartRng = c.progress.epochStartRng;
    this.progress.lossSum = c.progress.lossSum;
    this.progress.seen = c.progress.seen;
    this.progress.batchSize = c.progress.batchSize;
    this.progress.trainCount = c.progress.trainCount;
    this.progress.resumeEpoch = c.progress.epoch;
  }

  /**
   * Rebuilds a model from a training checkpoint alone (its spec and seed are in the
   * metadata), compiles it and restores the training state: `fit` then continues.
   */
  static resume(checkpoint: Uint8Array, compile: CompileOptions, options: Omit<SequentialOptions, 'seed'> = {}): Sequential {
    const info = readCheckpointInfo(checkpoint);
    const model = Sequential.fromSpec(info.spec, { ...options, seed: info.seed });
    model.compile(compile);
    model.loadCheckpoint(checkpoint);
    return model;
  }

  /** The training stream's state (for tests and checkpoints). */
  getRngState(): RngState {
    return this.trainRng.getState();
  }
}

function isOptimizer(o: unknown): o is Optimizer {
  return typeof o === 'object' && o !== null && typeof (o as Optimizer).step === 'function' && typeof (o as Optimizer).getState === 'function';
}
