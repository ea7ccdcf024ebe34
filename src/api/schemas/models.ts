/**
 * TypeBox schemas of the model routes. The spec itself is permissive (layers
 * are objects with a `type` and any fields): the engine validates it and
 * names the layer index, the field and the shapes in its 422.
 */
import { Type } from 'typebox';
import { Uuid } from './common.ts';

export const LayerSpec = Type.Object(
  { type: Type.String({ description: 'dense, conv2d, maxPooling2d, flatten, dropout, ... (Keras names; Dense and max_pooling2d also work).' }) },
  { additionalProperties: true, description: 'A layer: its `type` and its fields (units, activation, ...), Keras-like.' },
);

export const ModelSpec = Type.Object(
  {
    inputShape: Type.Optional(Type.Array(Type.Integer(), { description: 'Shape of one sample, without the batch dimension, e.g. [28, 28, 1].' })),
    layers: Type.Array(LayerSpec),
  },
  {
    additionalProperties: true,
    title: 'ModelSpec',
    description: 'A Sequential model, Keras-like: `{ "inputShape": [784], "layers": [{ "type": "dense", "units": 10 }] }`.',
    examples: [{ inputShape: [784], layers: [{ type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }] }],
  },
);

const LayerSummary = Type.Object({
  index: Type.Integer(),
  name: Type.String(),
  type: Type.String(),
  outputShape: Type.Array(Type.Integer()),
  params: Type.Integer(),
  flops: Type.Number({ description: 'Forward FLOPs per sample.' }),
});

export const SpecSummary = Type.Object(
  {
    inputShape: Type.Array(Type.Integer()),
    layers: Type.Array(LayerSummary),
    outputShape: Type.Array(Type.Integer()),
    totalParams: Type.Integer(),
    trainableParams: Type.Integer(),
    nonTrainableParams: Type.Integer(),
    flops: Type.Object({ forwardPerSample: Type.Number(), trainingPerSample: Type.Number() }),
    memory: Type.Object(
      {
        batchSize: Type.Integer(),
        optimizerSlotsPerParam: Type.Integer(),
        paramBytes: Type.Number(),
        gradBytes: Type.Number(),
        optimizerBytes: Type.Number(),
        bufferBytes: Type.Number(),
        activationBytesPerSample: Type.Number(),
        activationBytesPerBatch: Type.Number(),
        totalTrainingBytes: Type.Number({ description: 'Estimated memory to train at batchSize.' }),
        totalInferenceBytes: Type.Number(),
      },
      { description: 'Estimates in bytes (float32), computed without allocating anything.' },
    ),
  },
  { title: 'SpecSummary' },
);

const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const;

export const ValidateQuery = Type.Object(
  {
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 32, description: 'Batch size the memory estimate is for.' })),
    optimizer: Type.Optional(Type.Union(OPTIMIZERS.map((o) => Type.Literal(o)), { default: 'adam', description: 'Optimizer whose state the memory estimate counts.' })),
  },
  { additionalProperties: false },
);

export const ValidateResult = Type.Object({
  valid: Type.Literal(true),
  summary: SpecSummary,
  withinLimits: Type.Boolean({ description: "False when the model is over this tenant's limits (it could not be trained as is)." }),
  reasons: Type.Array(Type.String(), { description: 'Why it is over the limits; empty when within them.' }),
  limits: Type.Object({ maxParams: Type.Number(), maxMemoryBytes: Type.Number() }),
});

export const CreateModelBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), spec: ModelSpec },
  { additionalProperties: false },
);

export const Model = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    spec: ModelSpec,
    paramCount: Type.Integer({ description: 'Trainable parameters.' }),
    summary: SpecSummary,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Model' },
);

export const ModelListItem = Type.Object({
  id: Uuid,
  name: Type.String(),
  paramCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const ModelList = Type.Object({
  models: Type.Array(ModelListItem),
  next: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after` for the next (older) page; null on the last page.' }),
});

export const ModelIdParams = Type.Object({ id: Uuid });
