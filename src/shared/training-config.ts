/**
 * The training configuration of a job: one TypeBox schema gives the API its
 * validation and OpenAPI entry and the worker its type. The engine checks
 * what only it can (optimizer fields, loss and metric names) when the job is
 * submitted, so a job that cannot run is refused before it is queued.
 */
import { Type, type Static } from 'typebox';

const Name = Type.String({ minLength: 1, maxLength: 100 });

export const EarlyStoppingSchema = Type.Object(
  {
    monitor: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "Logged value to watch (default 'val_loss')." })),
    minDelta: Type.Optional(Type.Number({ minimum: 0 })),
    patience: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    mode: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('min'), Type.Literal('max')])),
    baseline: Type.Optional(Type.Number()),
    restoreBestWeights: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: 'Keras EarlyStopping.' },
);

/** The default least time between two epoch checkpoints (`checkpoints.minIntervalSeconds`). */
export const DEFAULT_CHECKPOINT_INTERVAL_S = 10;

export const CheckpointPolicySchema = Type.Object(
  {
    keepLast: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'Epoch checkpoints to keep, newest first.' })),
    bestMetric: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Metric that picks the best checkpoint (default: the early-stopping monitor, else val_loss with validation, else loss).' })),
    mode: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('min'), Type.Literal('max')])),
    minIntervalSeconds: Type.Optional(Type.Number({
      minimum: 0,
      maximum: 86_400,
      default: DEFAULT_CHECKPOINT_INTERVAL_S,
      description: 'An epoch checkpoint is taken only when at least this long has passed since the last one (or since training began); 0 takes one every epoch. ' +
        'Short epochs then do not spend their time on checkpoints; a stop (cancel, shutdown) and the end of training always checkpoint. ' +
        'The best epoch (by bestMetric) is held and committed all the same, before the next checkpoint or at the end.',
    })),
  },
  { additionalProperties: false },
);

export const TrainingConfigSchema = Type.Object(
  {
    optimizer: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Intersect([Type.Object({ type: Type.String({ minLength: 1, maxLength: 50 }) }), Type.Record(Type.String(), Type.Unknown())])], {
        description: 'An optimizer name or config, e.g. {"type":"adam","learningRate":0.001} (the default).',
      }),
    ),
    loss: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Keras loss name, e.g. sparseCategoricalCrossentropy (snake_case accepted). Required for train jobs; gan jobs use the non-saturating GAN loss and refuse it.' })),
    metrics: Type.Optional(Type.Array(Name, { maxItems: 20 })),
    epochs: Type.Integer({ minimum: 1, maximum: 100_000 }),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536, default: 32 })),
    shuffle: Type.Optional(Type.Boolean({ default: true })),
    validationSplit: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0 })),
    classWeight: Type.Optional(Type.Record(Type.String({ pattern: '^[0-9]+$' }), Type.Number({ minimum: 0 }))),
    earlyStopping: Type.Optional(EarlyStoppingSchema),
    augment: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Image augmentation of training batches (seeded), e.g. {"flipHorizontal":true,"translate":0.1,"rotate":10,"cropPadding":4,"noise":0.05}.',
      }),
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'Fixes initialisation, shuffling and dropout; chosen at random (and recorded) when omitted.' })),
    checkpoints: Type.Optional(CheckpointPolicySchema),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'Attempts (worker crashes included) before the job fails.' })),
    lossEverySteps: Type.Optional(Type.Integer({
      minimum: 1, maximum: 1_000_000,
      description: 'Record the loss series (the running mean over the epoch) every this many steps of an epoch, plus each epoch\'s last step, the step a stop came at, and at least one point a second. ' +
        'Default: every step in epochs of at most 200 steps, else every ceil(steps / 200)-th. 1 records every step: a database row each, which at thousands of steps a second takes a share of the cores the training needs.',
    })),
    threads: Type.Optional(Type.Integer({
      minimum: 1, maximum: 2, default: 1,
      description: 'Threads training this job. A model of dense layers (with flatten, reshape, activation or rescaling layers between them, no dropout) and an optimizer without clipnorm trains to exactly the weights 1 thread gives: each thread takes part of each batch\'s rows forward and back, then the weight gradients and update of part of each layer\'s units. Any other model splits each batch\'s rows; the same seed and thread count then give the same weights, another thread count different ones (sums in another order; with dropout, other masks). Not for models with batchNormalization.',
    })),
    exactAcrossThreads: Type.Optional(Type.Boolean({
      default: false,
      description: 'With threads above 1: require the weights, losses and metrics 1 thread gives, bit for bit. The models that can (dense layers with flatten, reshape, activation or rescaling layers between them, no dropout, an optimizer without clipnorm) train that way anyway; other models are refused with it instead of trained otherwise.',
    })),
  },
  { additionalProperties: false, title: 'TrainingConfig' },
);

export type TrainingConfig = Static<typeof TrainingConfigSchema>;

/** The training config with every default filled in, as stored on the job and given to the worker. */
export interface ResolvedTrainingConfig {
  optimizer: unknown;
  loss: string;
  metrics: string[];
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  validationSplit: number;
  classWeight?: Record<string, number>;
  earlyStopping?: Static<typeof EarlyStoppingSchema>;
  augment?: Record<string, unknown>;
  seed: number;
  /** `minIntervalSeconds` is absent in jobs stored before it existed: they take one every epoch. */
  checkpoints: { keepLast: number; bestMetric: string; mode: 'min' | 'max'; minIntervalSeconds?: number };
  maxAttempts: number;
  /** Every how many steps the loss is recorded; absent: at most 200 points an epoch (tasks/step-points.ts: LossCadence). */
  lossEverySteps?: number;
  /** Data-parallel threads; absent means 1. */
  threads?: number;
  /** With threads: the 1-thread result bit for bit where the model allows it (ParallelTrainer's deferred protocol). */
  exactAcrossThreads?: true;
}

/** `c.loss` must be present (the jobs route refuses a train job without one). */
export function resolveTrainingConfig(c: TrainingConfig & { loss: string }, randomSeed: () => number): ResolvedTrainingConfig {
  const validation = (c.validationSplit ?? 0) > 0;
  const bestMetric = c.checkpoints?.bestMetric ?? c.earlyStopping?.monitor ?? (validation ? 'val_loss' : 'loss');
  const modeIn = c.checkpoints?.mode ?? 'auto';
  const mode = modeIn === 'auto' ? (/acc|auc|precision|recall/.test(bestMetric) ? 'max' : 'min') : modeIn;
  return {
    optimizer: c.optimizer ?? { type: 'adam', learningRate: 0.001 },
    loss: c.loss,
    metrics: c.metrics ?? [],
    epochs: c.epochs,
    batchSize: c.batchSize ?? 32,
    shuffle: c.shuffle ?? true,
    validationSplit: c.validationSplit ?? 0,
    ...(c.classWeight ? { classWeight: c.classWeight } : {}),
    ...(c.earlyStopping ? { earlyStopping: c.earlyStopping } : {}),
    ...(c.augment ? { augment: c.augment } : {}),
    seed: c.seed ?? randomSeed(),
    checkpoints: { keepLast: c.checkpoints?.keepLast ?? 3, bestMetric, mode, minIntervalSeconds: c.checkpoints?.minIntervalSeconds ?? DEFAULT_CHECKPOINT_INTERVAL_S },
    maxAttempts: c.maxAttempts ?? 3,
    ...(c.lossEverySteps !== undefined ? { lossEverySteps: c.lossEverySteps } : {}),
    ...(c.threads !== undefined && c.threads > 1 ? { threads: c.threads, ...(c.exactAcrossThreads ? { exactAcrossThreads: true as const } : {}) } : {}),
  };
}
