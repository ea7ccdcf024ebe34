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

export const CreateJobBody = Type.Object(
  {
    datasetId: Type.String({ format: 'uuid' }),
    model: Type.Optional(ModelSpecSchema),
    modelId: Type.Optional(Type.String({ format: 'uuid', description: 'A stored model spec (POST /v1/models), instead of `model`.' })),
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
    spec: Type.Unknown({ description: 'The model spec the job trains.' }),
    training: Type.Unknown({ description: 'The training config with every default filled in (including the seed).' }),
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
