/** Request and response schemas of the job routes. */
import { Type, type Static } from 'typebox';
import { TrainingConfigSchema } from '../../shared/training-config.ts';

export const JobStatusSchema = Type.Union(
  [Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')],
  { title: 'JobStatus' },
);

/** A model spec, checked by the engine (which names the layer, field and shapes when it refuses one). */
export const ModelSpecSchema = Type.Object(
  {
    inputShape: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 8 }),
    layers: Type.Array(Type.Object({ type: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: true }), { minItems: 1, maxItems: 1000 }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { title: 'ModelSpec', description: 'Keras-like: {"inputShape":[784],"layers":[{"type":"dense","units":128,"activation":"relu"}, ...]}' },
);

const optimizerSchema = (description: string) =>
  Type.Union([Type.String({ minLength: 1, maxLength: 50 }), Type.Intersect([Type.Object({ type: Type.String({ minLength: 1, maxLength: 50 }) }), Type.Record(Type.String(), Type.Unknown())])], { description });
const specSchema = (description: string) => Type.Object(ModelSpecSchema.properties, { description });

export const GanConfigSchema = Type.Object(
  {
    generator: specSchema('The generator: `inputShape: [latentDim]` (a latent vector), output shaped like one sample of the data set. A tanh last activation gives samples in [-1, 1], sigmoid in [0, 1].'),
    discriminator: specSchema("The discriminator: `inputShape` = the generator's output shape; one output value per sample, a logit (linear) or a sigmoid probability (fused into the loss as logits)."),
    generatorOptimizer: Type.Optional(optimizerSchema('Default {"type":"adam","learningRate":0.0002,"beta1":0.5}.')),
    discriminatorOptimizer: Type.Optional(optimizerSchema('Default {"type":"adam","learningRate":0.0002,"beta1":0.5}.')),
    dSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'Discriminator updates per generator update; each draws a fresh real batch.' })),
    fixedSamples: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, default: 64, description: 'Fixed latent vectors (kept in every checkpoint) whose samples make the grid of each checkpoint: ceil(sqrt(n)) columns, full rows.' })),
    dataRange: Type.Optional(Type.Union([
      Type.Literal('auto'),
      Type.Tuple([Type.Number(), Type.Number()]),
    ], {
      default: 'auto',
      description: "The range [lo, hi] of the data set's values, mapped linearly onto the generator's output range ([-1, 1] with a tanh last activation, [0, 1] with sigmoid, else [-1, 1]) before training. `auto` (default): [0, 1] when every value is within it, else [-1, 1] when within that, else [0, 255] (8-bit pixels), else the data's own [min, max].",
    })),
  },
  { additionalProperties: false, title: 'GanConfig', description: 'A GAN job: two networks trained against each other with the standard non-saturating loss.' },
);
export type GanConfig = Static<typeof GanConfigSchema>;

export const CreateJobBody = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('train'), Type.Literal('gan')], { default: 'train', description: '`train` (a model on samples and labels) or `gan` (a generator and a discriminator on the samples; labels are ignored).' })),
    datasetId: Type.String({ format: 'uuid' }),
    model: Type.Optional(ModelSpecSchema),
    modelId: Type.Optional(Type.String({ format: 'uuid', description: 'A stored model spec (POST /v1/models), instead of `model`.' })),
    gan: Type.Optional(GanConfigSchema),
    training: TrainingConfigSchema,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false, title: 'CreateJob' },
);
export type CreateJobBody = Static<typeof CreateJobBody>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const NumberOrNonFinite = Type.Union([Type.Number(), Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')]);

export const ProgressSchema = Type.Object(
  {
    epoch: Type.Integer({ description: 'Epochs finished.' }),
    epochs: Type.Integer(),
    step: Type.Integer({ description: 'Optimizer steps taken.' }),
    steps: Type.Integer({ description: 'Steps the whole run takes (without early stopping).' }),
    samplesPerSecond: Nullable(Type.Number()),
    etaSeconds: Nullable(Type.Number()),
  },
  { title: 'Progress' },
);

export const TransitionSchema = Type.Object({
  from: Nullable(JobStatusSchema),
  to: JobStatusSchema,
  attempt: Type.Integer(),
  reason: Nullable(Type.String()),
  at: Type.String({ format: 'date-time' }),
});

export const JobSummarySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Nullable(Type.String()),
    type: Type.String(),
    status: JobStatusSchema,
    phase: Nullable(Type.String()),
    attempt: Type.Integer(),
    maxAttempts: Type.Integer(),
    datasetId: Type.String({ format: 'uuid' }),
    modelId: Nullable(Type.String({ format: 'uuid' })),
    progress: Nullable(ProgressSchema),
    latestMetrics: Type.Record(Type.String(), NumberOrNonFinite, { description: 'The last value of each series; non-finite values as the strings "NaN", "Infinity", "-Infinity".' }),
    failure: Nullable(Type.Object({ code: Type.String(), reason: Nullable(Type.String()) })),
    cancelRequestedAt: Nullable(Type.String({ format: 'date-time' })),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Nullable(Type.String({ format: 'date-time' })),
    finishedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { title: 'JobSummary' },
);

export const JobSchema = Type.Object(
  {
    ...JobSummarySchema.properties,
    spec: Type.Unknown({ description: 'The model spec the job trains; for a gan job `{ generator, discriminator }`.' }),
    training: Type.Unknown({ description: 'The training config with every default filled in (including the seed); a gan job has its GAN options under `gan`.' }),
    estimate: Nullable(Type.Object({ params: Type.Integer(), trainingBytes: Type.Integer(), trainingFlops: Type.Number() })),
    transitions: Type.Array(TransitionSchema),
  },
  { title: 'Job' },
);

export const JobPageSchema = Type.Object({ jobs: Type.Array(JobSummarySchema), next: Nullable(Type.String()) }, { title: 'JobPage' });

export const ListJobsQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ pattern: '^(queued|running|succeeded|failed|cancelled)(,(queued|running|succeeded|failed|cancelled))*$', description: 'Comma-separated statuses.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'The `next` cursor of the previous page.' })),
  },
  { additionalProperties: false },
);

export const JobParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
