/** Schemas of a job's outputs: metrics, events, checkpoints, weights, predictions. */
import { Type, type Static } from 'typebox';
import { Uuid } from './common.ts';

export const JobParams = Type.Object({ id: Uuid }, { additionalProperties: false });

const SELECTOR_DESCRIPTION = "'latest' (highest step), 'best' (by the job's checkpoints.bestMetric; the latest when none has it) or a checkpoint id.";
export const CheckpointSelector = Type.Union([Type.Literal('latest'), Type.Literal('best'), Uuid], { description: SELECTOR_DESCRIPTION });

export const JsonNumberSchema = Type.Union([Type.Number(), Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')], {
  description: 'A number when finite; the strings "NaN", "Infinity" or "-Infinity" otherwise (JSON has no such numbers; never null).',
});

const SERIES = '[A-Za-z0-9_.\\-/]{1,100}';

export const MetricsQuery = Type.Object(
  {
    series: Type.Optional(Type.String({
      pattern: `^${SERIES}(,${SERIES}){0,49}$`,
      description: 'Comma-separated series names (at most 50), e.g. `loss,val_accuracy`. Per-step: `loss`; per epoch: `epoch_<metric>` (training) and `val_<metric>` (validation). All series when omitted.',
    })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'A cursor (`next` or `cursor` of an earlier page): only points written after it.' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'Points per page (default 1000).' })),
    maxPoints: Type.Optional(Type.Integer({
      minimum: 2,
      maximum: 100_000,
      description: 'Downsample instead of paging: at most this many points per series, evenly spaced by step, always keeping each series\' first and last point. No cursor then (`next` and `cursor` are null); `after` and `limit` do not apply.',
    })),
  },
  { additionalProperties: false },
);
export type MetricsQuery = Static<typeof MetricsQuery>;

export const MetricPoint = Type.Object(
  {
    series: Type.String(),
    step: Type.Integer(),
    epoch: Type.Integer(),
    value: JsonNumberSchema,
    time: Type.String({ format: 'date-time' }),
  },
  { title: 'MetricPoint' },
);

export const MetricsPage = Type.Object(
  {
    points: Type.Array(MetricPoint, { description: 'In the order they were written (by series then step when downsampled).' }),
    next: Type.Union([Type.String(), Type.Null()], { description: 'Cursor of the next page when more points are available now; null at the end (and when downsampled).' }),
    cursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Where this page ends (the `after` given when it is empty; null when there is no point yet or when downsampled): pass it as `after` later to get only the points written since. Points never appear before a cursor already handed out.',
    }),
  },
  { title: 'MetricsPage' },
);

export const EventsQuery = Type.Object(
  {
    lastEventId: Type.Optional(Type.String({ maxLength: 100, description: 'Same as the Last-Event-ID header (which wins), for clients that cannot set headers.' })),
  },
  { additionalProperties: false },
);

export const EventsHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 100, description: 'The `id` of the last event received: the stream resumes right after it.' })),
});

export const EVENTS_DESCRIPTION = [
  'A Server-Sent Events stream (`text/event-stream`) of the job, read from the database every ~300 ms; a `: keep-alive` comment every 15 s.',
  '',
  '- `event: metric`, `data: { points: [{ series, step, epoch, value, time }] }`: new metric points, batched, values as in `/metrics`.',
  '- `event: progress`, `data: { epoch, epochs, step, steps, samplesPerSecond, etaSeconds }` when it changes.',
  '- `event: status`, `data: { status, phase, attempt, failure, transitions }` on new status transitions (only the new ones are listed) or a phase change.',
  '- `event: end`, `data: { status }`: the job finished and everything was sent; the server then closes the stream (do not reconnect).',
  '',
  'Every event has an `id` (`<metric row>.<transition row>.<phase hash>.<progress hash>`; treat it as opaque). Reconnecting with',
  '`Last-Event-ID` (or `?lastEventId=`) resumes exactly after that event: later metric points and transitions, and the current',
  'progress and phase if they changed. Without it the stream starts with the whole history.',
].join('\n');

export const CheckpointItem = Type.Object(
  {
    id: Uuid,
    kind: Type.String({ description: "'epoch', 'final', 'stop' or 'best'." }),
    attempt: Type.Integer(),
    epoch: Type.Integer(),
    step: Type.Integer(),
    size: Type.Integer({ description: 'Bytes of the training checkpoint (weights + optimizer state).' }),
    sha256: Type.String({ description: 'Of the training checkpoint (not of a weights download).' }),
    metrics: Type.Unknown({ description: 'Logged values when it was taken; non-finite ones are null.' }),
    createdAt: Type.String({ format: 'date-time' }),
    latest: Type.Boolean(),
    best: Type.Boolean(),
    samplesUrl: Type.Union([Type.String(), Type.Null()], { description: "gan jobs: where this checkpoint's sample grid (PNG) is; null when it has none (train jobs, samples that are not images)." }),
  },
  { title: 'Checkpoint' },
);

export const CheckpointList = Type.Object(
  {
    checkpoints: Type.Array(CheckpointItem, { description: 'By step, oldest first.' }),
    latest: Type.Union([Uuid, Type.Null()]),
    best: Type.Union([Uuid, Type.Null()], { description: "By the job's checkpoints.bestMetric and mode; null when no checkpoint has it." }),
    bestMetric: Type.Union([Type.Object({ metric: Type.String(), mode: Type.Union([Type.Literal('min'), Type.Literal('max')]) }), Type.Null()]),
  },
  { title: 'CheckpointList' },
);

export const WeightsQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('safetensors'), Type.Literal('json')], { default: 'safetensors' })),
    network: Type.Optional(Type.Union([Type.Literal('generator'), Type.Literal('discriminator')], { description: 'gan jobs only: which network (default generator).' })),
    checkpoint: Type.Optional(Type.Union([Type.Literal('latest'), Type.Literal('best'), Uuid], { default: 'latest', description: SELECTOR_DESCRIPTION })),
  },
  { additionalProperties: false },
);
export type WeightsQuery = Static<typeof WeightsQuery>;

export const WeightsJson = Type.Object(
  {
    tensors: Type.Record(Type.String(), Type.Object({
      shape: Type.Array(Type.Integer()),
      data: Type.Array(JsonNumberSchema, { description: 'Row-major.' }),
    })),
    metadata: Type.Record(Type.String(), Type.String()),
  },
  { title: 'WeightsJson' },
);

export const WEIGHTS_DESCRIPTION = [
  "The model's weights at a checkpoint, without the optimizer state: tensors named as PyTorch's state_dict",
  '(`layers.<i>.weight` [out, in], `layers.<i>.bias`, buffers such as `layers.<i>.running_mean`), F32, metadata',
  '`{ format: "pt", job_id, checkpoint_id, epoch, step }`. `format=json` gives `{ tensors: { name: { shape, data } }, metadata }`.',
  'The `ETag` is the sha256 of the bytes sent (strong, quoted); `If-None-Match` gives `304`.',
  'A gan job has two networks: `network=generator` (the default) or `network=discriminator`, each with the same `layers.<i>.*` names',
  '(its index in that spec\'s `layers`) and `network` in the metadata; `network` on a train job is a 400.',
].join(' ');

export const PredictBody = Type.Object(
  {
    inputs: Type.Optional(Type.Array(Type.Unknown(), {
      minItems: 1,
      description: "train jobs: numbers nested like one sample of the model's input (`inputShape`) or a batch of them (`[n, ...inputShape]`, n <= 4096).",
    })),
    latents: Type.Optional(Type.Array(Type.Array(Type.Unknown()), {
      minItems: 1,
      description: "gan jobs: latent vectors, each `latentDim` numbers (the generator's inputShape[0]), at most 4096.",
    })),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'gan jobs, instead of `latents`: this many random latent vectors (standard normal).' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'gan jobs with `count`: the seed of the random latent vectors (same seed, same samples); chosen and returned when omitted.' })),
    checkpoint: Type.Optional(CheckpointSelector),
  },
  { additionalProperties: false },
);
export type PredictBody = Static<typeof PredictBody>;

export const PredictResponse = Type.Object(
  {
    outputs: Type.Unknown({ description: "The model's outputs (after its final activation), one sample's or a batch's as the inputs were; non-finite values as strings." }),
    classes: Type.Optional(Type.Unknown({ description: 'For classifiers: argmax of the last axis (categorical / sparse categorical cross-entropy), or output >= 0.5 (binary cross-entropy).' })),
    checkpoint: Type.Object({ id: Uuid, epoch: Type.Integer(), step: Type.Integer() }),
    latents: Type.Optional(Type.Unknown({ description: 'gan jobs: the latent vectors the samples were generated from, [n, latentDim].' })),
    seed: Type.Optional(Type.Integer({ description: 'gan jobs with `count`: the seed the latent vectors were drawn with.' })),
    sampleRange: Type.Optional(Type.Array(Type.Number(), { description: "gan jobs: the generator's output range [lo, hi] (tanh [-1, 1], sigmoid [0, 1]); the data set's values were mapped onto it for training (gan.dataRange)." })),
  },
  { title: 'Prediction' },
);

export const PredictQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('png')], { description: 'gan jobs: `png` answers with the samples tiled into one image (as does `Accept: image/png`); default json.' })),
  },
  { additionalProperties: false },
);

export const SamplesQuery = Type.Object(
  {
    checkpoint: Type.Optional(Type.Union([Type.Literal('latest'), Type.Literal('best'), Uuid], { default: 'latest', description: SELECTOR_DESCRIPTION })),
  },
  { additionalProperties: false },
);

export const SamplesParams = Type.Object({ id: Uuid, checkpointId: Uuid }, { additionalProperties: false });

export const SAMPLES_DESCRIPTION = [
  "A gan job's grid of samples at a checkpoint, as a PNG: the generator's outputs for the job's fixed latent vectors",
  '(`gan.fixedSamples`, the same at every checkpoint, so grids compare across training), ceil(sqrt(n)) columns, full rows,',
  "1-pixel grey separators, the generator's range mapped to 0..255. `ETag` is the sha256 of the image; `If-None-Match` gives 304.",
  'A job that is not a gan job, or whose samples are not images, is a 404 `no_samples`; a gan job without a checkpoint yet is a 404 `not_found`.',
].join(' ');
