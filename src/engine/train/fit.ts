/**
 * The training loop behind `model.fit` (Keras semantics):
 * - validationSplit takes the LAST fraction of the samples, before shuffling;
 *   validationData overrides it;
 * - each epoch shuffles the training indices with the model's training Rng
 *   (unless shuffle: false), in batches of batchSize (default 32; the last
 *   batch may be smaller);
 * - classWeight gives each sample the weight of its class (sparse label,
 *   argmax of a one-hot row, or the rounded binary label); missing classes weigh 1;
 * - logs: `loss` (batch-size weighted mean over the epoch, with regularisation)
 *   and the compiled metric names, `val_` prefixed for validation;
 * - callbacks may stop training (return true or set model.stopTraining); an
 *   AbortSignal rejects with TrainingAbortedError; a non-finite loss rejects
 *   with NonFiniteLossError (that step is not applied);
 * - augment (images only) transforms each gathered training batch in place with the
 *   training Rng (see augment/); evaluation and validation batches are never augmented.
 * A training checkpoint taken in any callback resumes bit-identically: the
 * order of a half-done epoch is rebuilt from the Rng state at its start.
 */
import { DataShapeError, ModelStateError, SpecError, TrainingAbortedError } from '../errors.ts';
import { parseAugmentConfig, type AugmentOptions } from '../augment/augmentConfig.ts';
import { Augmenter } from '../augment/augmenter.ts';
import { runHooks, type Callback, type History, type Logs } from './callbacks.ts';
import { checkInputs, checkLabels } from './checkData.ts';
import { gather, sliceDataset, toDataset, trainingCount, type DataInput, type Dataset } from './data.ts';
import { EarlyStopping, type EarlyStoppingConfig } from './earlyStopping.ts';
import { evaluateDataset } from './evaluateDataset.ts';
import type { FitHost } from './fitHost.ts';
import { replayEpochOrder, startEpochOrder } from './epochOrder.ts';
import type { GradientStrategy } from './gradientStrategy.ts';
import { yieldToEventLoop } from './yieldToEventLoop.ts';

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validationSplit?: number;
  validationData?: [DataInput, DataInput] | { x: DataInput; y: DataInput };
  classWeight?: Record<number | string, number>;
  /** Epoch to start at (Keras `initialEpoch`); after loadCheckpoint it defaults to the checkpoint's. */
  initialEpoch?: number;
  /** Overrides the compiled metrics for this run. */
  metrics?: string[];
  callbacks?: Callback | Callback[];
  earlyStopping?: EarlyStoppingConfig | EarlyStopping;
  signal?: AbortSignal;
  /** Image augmentation of training batches, e.g. `{ flipHorizontal: true, translate: 0.1, rotate: 10, cropPadding: 4, noise: 0.05 }`. */
  augment?: AugmentOptions;
  /**
   * Replaces `model.computeGradients` for each training batch (e.g. data-parallel over
   * threads, see src/workers/parallel/): it must leave the whole batch's gradient in the
   * model's grads (or finish that in its `step`) and return its loss; fit then steps the
   * optimizer, or calls the strategy's `step` when it has one.
   */
  gradients?: GradientStrategy;
}

const YIELD_MS = 50;

export async function fitModel(model: FitHost & { readonly lastOutput: Float32Array }, x: Dataset, y: Dataset, o: FitOptions): Promise<History> {
  checkInputs(model, x);
  checkLabels(model, x, y);
  const epochs = o.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0) throw new SpecError('epochs', `must be a non-negative integer, got ${epochs}`);
  const batchSize = o.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new SpecError('batchSize', `must be a positive integer, got ${batchSize}`);
  const shuffle = o.shuffle ?? true;
  const split = o.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new SpecError('validationSplit', `must be in [0, 1), got ${split}`);

  let trainX = x;
  let trainY = y;
  let valX: Dataset | null = null;
  let valY: Dataset | null = null;
  if (o.validationData) {
    const [vx, vy] = Array.isArray(o.validationData) ? o.validationData : [o.validationData.x, o.validationData.y];
    valX = toDataset(vx, 'validationData.x');
    valY = toDataset(vy, 'validationData.y');
    checkInputs(model, valX, 'validationData.x');
    checkLabels(model, valX, valY, 'validationData.y');
  } else if (split > 0) {
    const at = trainingCount(x.count, split);
    trainX = sliceDataset(x, 0, at);
    trainY = sliceDataset(y, 0, at);
    valX = sliceDataset(x, at, x.count);
    valY = sliceDataset(y, at, y.count);
  }
  const n = trainX.count;
  if (n === 0) throw new DataShapeError('fit: no training samples (check x and validationSplit)');

  const classWeight = o.classWeight ? parseClassWeight(o.classWeight) : null;
  const augmenter = o.augment === undefined ? null : new Augmenter(parseAugmentConfig(o.augment), model.inputShape);
  const callbacks: Callback[] = o.callbacks === undefined ? [] : Array.isArray(o.callbacks) ? [...o.callbacks] : [o.callbacks];
  let early: EarlyStopping | null = null;
  if (o.earlyStopping) {
    early = o.earlyStopping instanceof EarlyStopping ? o.earlyStopping : new EarlyStopping(o.earlyStopping);
    early.setModel(model);
    callbacks.push(early);
  }
  const metricNames = o.metrics ?? model.metricNames;
  const metrics = model.createMetrics(metricNames);
  const progress = model.progress;
  const rng = model.trainRng;
  // Only a loaded checkpoint resumes mid-epoch; otherwise every fit starts its epochs afresh (Keras).
  const fromCheckpoint = progress.resumeEpoch !== null;
  const initialEpoch = o.initialEpoch ?? progress.resumeEpoch ?? 0;
  const resumeBatch = fromCheckpoint && progress.batchInEpoch > 0 && initialEpoch === progress.epoch ? progress.batchInEpoch : 0;
  if (resumeBatch > 0 && (progress.batchSize !== batchSize || progress.trainCount !== n)) {
    throw new ModelStateError(
      `the checkpoint stopped after batch ${resumeBatch} of epoch ${progress.epoch} with batchSize ${progress.batchSize} over ${progress.trainCount} training samples; ` +
      `resume with the same (got batchSize ${batchSize} over ${n}), or pass initialEpoch: ${progress.epoch + 1} to skip to the next epoch`,
    );
  }
  progress.resumeEpoch = null;

  const bs = Math.min(batchSize, n);
  // The input batch lives where the model's kernels read it in place (given back at the end;
  // on a throw, with the model).
  const xbs = [model.allocateScratch(bs * x.size)];
  if ((o.gradients?.inputBuffers ?? 1) > 1) xbs.push(model.allocateScratch(bs * x.size));
  let gathered = 0;
  const yb = new Float32Array(bs * y.size);
  const wb = classWeight ? new Float32Array(bs) : null;
  const order = shuffle ? new Int32Array(n) : null;
  const steps = Math.ceil(n / batchSize);
  const outSize = model.outputSize;
  const history: History = { epoch: [], history: {}, stopReason: 'completed' };
  let lastLogs: Logs = {};
  let lastYield = performance.now();

  model.stopTraining = false;
  await runHooks(callbacks, (c) => c.onTrainBegin?.({}));
  for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    await runHooks(callbacks, (c) => c.onEpochBegin?.(epoch, {}));
    const startBatch = epoch === initialEpoch ? resumeBatch : 0;
    if (startBatch > 0) {
      replayEpochOrder(rng, order, n, progress.epochStartRng);
    } else {
      progress.epochStartRng = startEpochOrder(rng, order, n);
      progress.batchInEpoch = 0;
      progress.batchSize = batchSize;
      progress.trainCount = n;
    }
    for (const m of metrics) m.reset();
    // A mid-epoch resume continues the epoch's loss average (metrics restart with the resumed batches).
    let lossSum = startBatch > 0 ? progress.lossSum : 0;
    let seen = startBatch > 0 ? progress.seen : 0;
    let b = startBatch;
    let stop = false;
    for (; b < steps; b++) {
      if (o.signal?.aborted) throw new TrainingAbortedError(epoch, progress.step);
      const start = b * batchSize;
      const cnt = Math.min(batchSize, n - start);
      const xb = xbs[gathered++ % xbs.length];
      gather(trainX, order, start, cnt, xb);
      gather(trainY, order, start, cnt, yb);
      augmenter?.apply(xb, cnt, rng);
      if (wb && classWeight) fillClassWeights(classWeight, yb, cnt, trainY.size, wb);
      const loss = model.trainStep(xb, yb, cnt, wb, epoch, o.gradients);
      if (metrics.length > 0) {
        const yt = yb.subarray(0, cnt * trainY.size);
        const yp = (o.gradients ?? model).lastOutput.subarray(0, cnt * outSize);
        for (const m of metrics) m.update(yt, yp, cnt);
      }
      lossSum += loss * cnt;
      seen += cnt;
      progress.lossSum = lossSum;
      progress.seen = seen;
      progress.batchInEpoch = b + 1;
      if (b + 1 === steps) {
        progress.epoch = epoch + 1;
        progress.batchInEpoch = 0;
        progress.lossSum = 0;
        progress.seen = 0;
      }
      if (callbacks.some((c) => c.onBatchEnd)) {
        const logs: Logs = { loss: lossSum / seen };
        for (const m of metrics) logs[m.name] = m.result();
        const step = progress.step;
        if (await runHooks(callbacks, (c) => c.onBatchEnd?.(b, logs, { epoch, step }))) model.stopTraining = true;
      }
      if (model.stopTraining) {
        stop = true;
        break;
      }
      if (performance.now() - lastYield > YIELD_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    const logs: Logs = { loss: seen === 0 ? 0 : lossSum / seen };
    for (const m of metrics) logs[m.name] = m.result();
    if (valX && valY) {
      const v = evaluateDataset(model, valX, valY, batchSize, metricNames);
      for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
    }
    model.optimizer?.onEpochEnd?.(logs);
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
    lastLogs = logs;
    if (await runHooks(callbacks, (c) => c.onEpochEnd?.(epoch, logs))) model.stopTraining = true;
    if (stop || model.stopTraining) {
      history.stopReason = early && early.stoppedEpoch >= 0 ? 'earlyStopping' : 'stopped';
      break;
    }
    await yieldToEventLoop();
    lastYield = performance.now();
  }
  model.settle(); // the last step's update may still be running on another thread (and reading its batch)
  for (const xb of xbs) model.releaseScratch(xb);
  await runHooks(callbacks, (c) => c.onTrainEnd?.(lastLogs));
  return history;
}

function parseClassWeight(cw: Record<number | string, number>): Map<number, number> {
  const m = new Map<number, number>();
  for (const [k, v] of Object.entries(cw)) {
    const c = Number(k);
    if (!Number.isInteger(c) || c < 0) throw new SpecError(`classWeight.${k}`, 'class keys must be non-negative integers');
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new SpecError(`classWeight.${k}`, `must be a non-negative number, got ${String(v)}`);
    m.set(c, v);
  }
  return m;
}

function fillClassWeights(cw: Map<number, number>, y: Float32Array, batch: number, ySize: number, out: Float32Array): void {
  for (let b = 0; b < batch; b++) {
    let cls: number;
    if (ySize === 1) cls = Math.round(y[b]);
    else {
      const o = b * ySize;
      cls = 0;
      for (let j = 1; j < ySize; j++) if (y[o + j] > y[o + cls]) cls = j;
    }
    out[b] = cw.get(cls) ?? 1;
  }
}
