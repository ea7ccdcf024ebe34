/**
 * Decides, before a GAN job is queued, whether it can run: the training options
 * that do not apply to a GAN are refused (not silently ignored), both specs are
 * valid (engine errors prefixed `gan.generator.` / `gan.discriminator.`), the
 * generator takes a latent vector and makes samples shaped like the data set's,
 * the discriminator takes those and outputs one logit or probability, the
 * optimizers are valid, and both networks together are within the tenant's
 * limits. Every refusal is a 422 naming the field.
 */
import { randomInt } from 'node:crypto';
import { normalizeOptimizerConfig, summarizeSpec, type SpecSummary } from '../engine/index.ts';
import type { Dataset } from '../db/generated/client.ts';
import { AppError } from '../shared/errors.ts';
import type { Limits } from '../shared/config.ts';
import { DEFAULT_CHECKPOINT_INTERVAL_S, type TrainingConfig } from '../shared/training-config.ts';
import { DEFAULT_GAN_OPTIMIZER, GAN_SERIES, type GanSpec, type ResolvedGanTraining } from '../shared/gan-config.ts';
import type { GanConfig } from './schemas/jobs.ts';
import { engine, fmt, size } from './job-admission.ts';

export interface AdmittedGan {
  spec: GanSpec;
  training: ResolvedGanTraining;
  generator: SpecSummary;
  discriminator: SpecSummary;
}

const refuse = (field: string, why: string): never => {
  throw new AppError('invalid_spec', `training.${field}: ${why}`);
};

/** Training options a GAN job cannot honour: each is a 422 naming it. */
function refuseInapplicable(t: TrainingConfig): void {
  if (t.loss !== undefined) refuse('loss', 'gan jobs train with the standard non-saturating GAN loss; remove training.loss');
  if (t.optimizer !== undefined) refuse('optimizer', 'a gan job has one optimizer per network: set gan.generatorOptimizer and gan.discriminatorOptimizer instead');
  if (t.metrics !== undefined && t.metrics.length > 0) refuse('metrics', `gan jobs always report ${GAN_SERIES.join(', ')}; other metrics do not apply`);
  if ((t.validationSplit ?? 0) > 0) refuse('validationSplit', 'a GAN has no validation loss; use 0 or leave it out');
  if (t.earlyStopping !== undefined) refuse('earlyStopping', 'GAN losses do not say when samples are good enough; set training.epochs instead');
  if (t.classWeight !== undefined) refuse('classWeight', 'gan jobs ignore labels, so class weights do not apply');
  if (t.augment !== undefined) refuse('augment', 'augmentation is not available for gan jobs');
  if ((t.threads ?? 1) > 1) refuse('threads', 'gan jobs train on one thread; use threads 1');
  if (t.exactAcrossThreads === true) refuse('exactAcrossThreads', 'gan jobs train on one thread; leave it out');
  if (t.lossEverySteps !== undefined) refuse('lossEverySteps', 'gan jobs record d_loss and g_loss every step; leave it out');
  if (t.shuffle === false) refuse('shuffle', 'gan jobs always shuffle (every step draws fresh real batches); leave it out or set true');
  const best = t.checkpoints?.bestMetric;
  if (best === undefined && t.checkpoints?.mode !== undefined) refuse('checkpoints.mode', 'only with checkpoints.bestMetric (a gan job keeps no "best" checkpoint unless you name a metric)');
  if (best !== undefined && !(GAN_SERIES as readonly string[]).includes(best)) {
    refuse('checkpoints.bestMetric', `${JSON.stringify(best)} is not a GAN metric; use one of ${GAN_SERIES.join(', ')} (or leave it out: GAN losses do not measure sample quality)`);
  }
}

/** The last layer's activation as the spec names it (a dense/conv `activation`, or an activation layer). */
function lastActivation(spec: unknown): string | undefined {
  const layers = (spec as { layers?: Array<Record<string, unknown>> }).layers ?? [];
  const act = layers[layers.length - 1]?.activation;
  if (typeof act === 'string') return act;
  if (act && typeof act === 'object' && typeof (act as { type?: unknown }).type === 'string') return (act as { type: string }).type;
  return undefined;
}

export function admitGanJob(gan: GanConfig, config: TrainingConfig, dataset: Dataset, limits: Limits): AdmittedGan {
  refuseInapplicable(config);
  const batchSize = config.batchSize ?? 32;
  const dSteps = gan.dSteps ?? 1;
  const generatorOptimizer = gan.generatorOptimizer ?? { ...DEFAULT_GAN_OPTIMIZER };
  const discriminatorOptimizer = gan.discriminatorOptimizer ?? { ...DEFAULT_GAN_OPTIMIZER };
  engine('gan', () => normalizeOptimizerConfig(generatorOptimizer, 'generatorOptimizer'));
  engine('gan', () => normalizeOptimizerConfig(discriminatorOptimizer, 'discriminatorOptimizer'));
  const g = engine('gan.generator', () => summarizeSpec(gan.generator, { batchSize, optimizer: generatorOptimizer }));
  const d = engine('gan.discriminator', () => summarizeSpec(gan.discriminator, { batchSize, optimizer: discriminatorOptimizer }));

  if (g.inputShape.length !== 1) {
    throw new AppError('invalid_spec', `gan.generator.inputShape: must be [latentDim] (one latent vector per sample), got ${fmt(g.inputShape)}`);
  }
  const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  const gLast = g.layers[g.layers.length - 1];
  if (!sameShape(d.inputShape, g.outputShape)) {
    throw new AppError('invalid_spec', `gan.discriminator.inputShape ${fmt(d.inputShape)} must equal the generator's output shape ${fmt(g.outputShape)} (gan.generator.layers[${gLast.index}])`);
  }
  const dLast = d.layers[d.layers.length - 1];
  if (size(d.outputShape) !== 1) {
    throw new AppError('invalid_spec', `gan.discriminator.layers[${dLast.index}]: the discriminator must output one value per sample (a logit or a probability), but it outputs ${fmt(d.outputShape)}; end with a dense layer of 1 unit`);
  }
  const act = lastActivation(gan.discriminator);
  if (act !== undefined && act !== 'linear' && act !== 'sigmoid') {
    throw new AppError('invalid_spec', `gan.discriminator.layers[${dLast.index}]: the last activation must be linear (a logit) or sigmoid, got ${act}`);
  }
  if (!sameShape(g.outputShape, dataset.sampleShape)) {
    const hint = size(g.outputShape) === size(dataset.sampleShape) ? `; the sizes match, so end the generator with a reshape to ${fmt(dataset.sampleShape)}` : '';
    throw new AppError('invalid_spec', `gan.generator: its output ${fmt(g.outputShape)} (layers[${gLast.index}]) must be shaped like the data set's samples ${fmt(dataset.sampleShape)}${hint}`);
  }
  if (Array.isArray(gan.dataRange) && !(gan.dataRange[1] > gan.dataRange[0])) {
    throw new AppError('invalid_spec', `gan.dataRange: [lo, hi] needs hi > lo, got [${gan.dataRange.join(', ')}]`);
  }
  const perStep = batchSize * dSteps;
  if (dataset.sampleCount < perStep) {
    throw new AppError('invalid_spec', `training.batchSize: one step takes batchSize x gan.dSteps = ${perStep} real samples, but the data set has ${dataset.sampleCount}`);
  }

  // Limits: both networks live (and train) at once.
  const params = g.totalParams + d.totalParams;
  if (params > limits.maxParams) {
    throw new AppError('limit_exceeded', `the generator and the discriminator have ${g.totalParams} + ${d.totalParams} = ${params} parameters; this tenant's limit is ${limits.maxParams}`);
  }
  const bytes = g.memory.totalTrainingBytes + d.memory.totalTrainingBytes;
  if (bytes > limits.maxMemoryBytes) {
    throw new AppError('limit_exceeded', `training both networks needs about ${bytes} bytes at batch size ${batchSize}; this tenant's limit is ${limits.maxMemoryBytes}`);
  }
  const epochs = config.epochs;
  const flops = epochs * dataset.sampleCount * ganFlopsPerRealSample(g, d, dSteps);
  if (flops > limits.maxTrainingFlops) {
    throw new AppError('limit_exceeded', `${epochs} epochs x ${dataset.sampleCount} samples of GAN training = ${flops.toExponential(2)} FLOPs is over this tenant's compute budget of ${limits.maxTrainingFlops.toExponential(2)}`);
  }

  const checkpoints: ResolvedGanTraining['checkpoints'] = {
    keepLast: config.checkpoints?.keepLast ?? 3,
    minIntervalSeconds: config.checkpoints?.minIntervalSeconds ?? DEFAULT_CHECKPOINT_INTERVAL_S,
  };
  if (config.checkpoints?.bestMetric !== undefined) {
    const mode = config.checkpoints.mode ?? 'auto';
    checkpoints.bestMetric = config.checkpoints.bestMetric;
    checkpoints.mode = mode === 'auto' ? (config.checkpoints.bestMetric.startsWith('d_acc') ? 'max' : 'min') : mode;
  }
  return {
    spec: { generator: gan.generator, discriminator: gan.discriminator },
    generator: g,
    discriminator: d,
    training: {
      epochs,
      batchSize,
      shuffle: true,
      seed: config.seed ?? randomInt(0, 2 ** 32 - 1),
      checkpoints,
      maxAttempts: config.maxAttempts ?? 3,
      gan: { generatorOptimizer, discriminatorOptimizer, dSteps, fixedSamples: gan.fixedSamples ?? 64, dataRange: gan.dataRange ?? 'auto' },
    },
  };
}

/**
 * Training FLOPs per real sample consumed: each D update trains D on a real and a fake
 * batch (plus G's forward for the fakes); each G update (one per dSteps real batches)
 * trains G through D's forward and backward.
 */
export function ganFlopsPerRealSample(g: SpecSummary, d: SpecSummary, dSteps: number): number {
  return 2 * d.flops.trainingPerSample + g.flops.forwardPerSample + (g.flops.trainingPerSample + d.flops.trainingPerSample) / dSteps;
}
