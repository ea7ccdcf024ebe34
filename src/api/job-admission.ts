/**
 * Decides, before a job is queued, whether it can run: the spec is valid, the
 * training options are ones the engine accepts, the data set's samples fit
 * the model's input and its labels fit the loss and output, and the job is
 * within the tenant's limits. Every refusal is a 422 naming what is wrong.
 */
import { randomInt } from 'node:crypto';
import {
  createLossHead,
  matchLoss,
  normalizeOptimizerConfig,
  resolveMetric,
  summarizeSpec,
  plainKernels,
  Sequential,
  EarlyStopping,
  Augmenter,
  parseAugmentConfig,
  SpecError,
  trainingCount,
  type SpecSummary,
} from '../engine/index.ts';
import type { Dataset } from '../db/generated/client.ts';
import { AppError } from '../shared/errors.ts';
import type { Limits } from '../shared/config.ts';
import { resolveTrainingConfig, type ResolvedTrainingConfig, type TrainingConfig } from '../shared/training-config.ts';

export interface Admitted {
  summary: SpecSummary;
  training: ResolvedTrainingConfig;
  /** Estimated FLOPs of the whole run. */
  trainingFlops: number;
}

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs an engine check; its SpecError becomes a 422 whose path is prefixed with where it came from. */
export function engine<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SpecError) throw new AppError('invalid_spec', prefix ? `${prefix}.${e.message}` : e.message);
    throw e;
  }
}

/** Layers the deferred protocol (exactAcrossThreads) trains: dense, and row-by-row layers without parameters between them. */
const EXACT_LAYERS = new Set(['dense', 'flatten', 'reshape', 'activation', 'rescaling']);

/**
 * training.exactAcrossThreads runs the deferred protocol (src/workers/parallel), which needs a
 * model whose weight gradients can be deferred (the engine's own test, on the built model)
 * and an optimizer that updates any range of the parameters (no clip-by-norm). Anything else
 * would silently train as without it, so it is refused.
 */
function refuseInexact(spec: unknown, summary: SpecSummary, optimizer: Record<string, unknown>): void {
  const refuse = (why: string): never => {
    throw new AppError('invalid_spec', `training.exactAcrossThreads: ${why}; without exactAcrossThreads the same seed and thread count still give the same weights`);
  };
  for (const k of ['clipnorm', 'globalClipnorm']) {
    if (optimizer[k] !== undefined) refuse(`the optimizer's ${k} scales the whole gradient at once, so its update cannot be split between threads`);
  }
  if (Sequential.fromSpec(spec, { seed: 0, kernels: plainKernels }).deferredLayout === null) {
    const layer = summary.layers.find((l) => !EXACT_LAYERS.has(l.type));
    refuse(`${layer ? `layers[${layer.index}] ${layer.type}: ` : ''}only dense layers, with flatten, reshape, activation or rescaling layers between them, train to the 1-thread weights on any thread count`);
  }
}

export function effectiveLimits(defaults: Limits, tenantLimits: unknown): Limits {
  const out = { ...defaults };
  if (tenantLimits && typeof tenantLimits === 'object') {
    for (const k of Object.keys(out) as Array<keyof Limits>) {
      const v = (tenantLimits as Record<string, unknown>)[k];
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[k] = v;
    }
  }
  return out;
}

export function admitJob(spec: unknown, config: TrainingConfig & { loss: string }, dataset: Dataset, limits: Limits): Admitted {
  const training = resolveTrainingConfig(config, () => randomInt(0, 2 ** 32 - 1));
  const summary = engine('model', () => summarizeSpec(spec, { batchSize: training.batchSize, optimizer: training.optimizer }));
  engine('training', () => normalizeOptimizerConfig(training.optimizer, 'optimizer'));
  const loss = matchLoss(training.loss);
  if (!loss) {
    throw new AppError('invalid_spec', `training.loss: unknown loss ${JSON.stringify(training.loss)}; valid losses are meanSquaredError, meanAbsoluteError, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy (snake_case accepted)`);
  }
  training.metrics.forEach((m, i) => engine('training', () => resolveMetric(m, loss, { path: `metrics[${i}]` })));
  if (training.earlyStopping) engine('training', () => new EarlyStopping(training.earlyStopping));
  if (training.augment) engine('', () => new Augmenter(parseAugmentConfig(training.augment, 'training.augment'), summary.inputShape, 'training.augment'));
  if (training.earlyStopping && training.validationSplit === 0 && (training.earlyStopping.monitor ?? 'val_loss').startsWith('val_')) {
    throw new AppError('invalid_spec', `training.earlyStopping.monitor: ${training.earlyStopping.monitor ?? 'val_loss'} needs validation data; set training.validationSplit (for example 0.1) or monitor "loss"`);
  }

  if ((training.threads ?? 1) > 1 && summary.nonTrainableParams > 0) {
    const bn = summary.layers.find((l) => l.type === 'batchNormalization');
    throw new AppError('invalid_spec', `training.threads: ${training.threads} threads cannot train a model with non-trainable statistics${bn ? ` (layers[${bn.index}] batchNormalization)` : ''}; each thread would normalise its own slice of the batch. Use threads 1`);
  }

  if (training.exactAcrossThreads) refuseInexact(spec, summary, engine('training', () => normalizeOptimizerConfig(training.optimizer, 'optimizer')));

  // The data set's samples must be the model's input.
  const input = summary.inputShape;
  if (size(input) !== size(dataset.sampleShape) || input.length !== dataset.sampleShape.length || input.some((d, i) => d !== dataset.sampleShape[i])) {
    const hint = size(input) === size(dataset.sampleShape) ? `; the sizes match, so set inputShape to ${fmt(dataset.sampleShape)} and add a reshape or flatten layer` : '';
    throw new AppError('invalid_spec', `model.inputShape ${fmt(input)} does not match the data set's sample shape ${fmt(dataset.sampleShape)}${hint}`);
  }
  // The labels must fit the loss and the model's output.
  const lastLayer = summary.layers[summary.layers.length - 1];
  const outSize = size(summary.outputShape);
  const cols = summary.outputShape[summary.outputShape.length - 1] ?? 1;
  const head = createLossHead(loss, undefined);
  const need = head.labelSize(outSize, cols);
  const have = size(dataset.labelShape);
  if (need !== have) {
    const kind = dataset.labelShape.length === 0 ? 'one class index' : `label shape ${fmt(dataset.labelShape)}`;
    const advice = dataset.labelShape.length === 0 && loss === 'categoricalCrossentropy' ? '; use sparseCategoricalCrossentropy for class indices' : '';
    throw new AppError('invalid_spec', `training.loss: ${loss} with the model's output ${fmt(summary.outputShape)} (layers[${lastLayer.index}]) needs ${need} label value(s) per sample, but the data set has ${kind}${advice}`);
  }
  if (loss === 'sparseCategoricalCrossentropy' && dataset.numClasses !== null && dataset.numClasses > cols) {
    throw new AppError('invalid_spec', `layers[${lastLayer.index}] outputs ${cols} classes but the data set's labels go up to ${dataset.numClasses - 1}; give it ${dataset.numClasses} units`);
  }
  if (training.classWeight && dataset.numClasses !== null) {
    for (const k of Object.keys(training.classWeight)) {
      if (Number(k) >= dataset.numClasses) throw new AppError('invalid_spec', `training.classWeight: class ${k} is not among the data set's ${dataset.numClasses} classes`);
    }
  }

  // Limits, before anything is allocated or queued.
  const trainSamples = trainingCount(dataset.sampleCount, training.validationSplit);
  if (trainSamples < 1) throw new AppError('invalid_spec', `training.validationSplit ${training.validationSplit} leaves no training samples out of ${dataset.sampleCount}`);
  const trainingFlops = training.epochs * dataset.sampleCount * summary.flops.trainingPerSample;
  if (summary.totalParams > limits.maxParams) {
    throw new AppError('limit_exceeded', `the model has ${summary.totalParams} parameters; this tenant's limit is ${limits.maxParams}`);
  }
  if (summary.memory.totalTrainingBytes > limits.maxMemoryBytes) {
    throw new AppError('limit_exceeded', `training needs about ${summary.memory.totalTrainingBytes} bytes at batch size ${training.batchSize}; this tenant's limit is ${limits.maxMemoryBytes}`);
  }
  if (trainingFlops > limits.maxTrainingFlops) {
    throw new AppError('limit_exceeded', `${training.epochs} epochs x ${dataset.sampleCount} samples x ${summary.flops.trainingPerSample} FLOPs per sample = ${trainingFlops.toExponential(2)} FLOPs is over this tenant's compute budget of ${limits.maxTrainingFlops.toExponential(2)}`);
  }
  return { summary, training, trainingFlops };
}
