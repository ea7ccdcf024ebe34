/** TypeBox schemas of the data set routes. */
import { Type, type Static } from 'typebox';
import { Uuid } from './common.ts';

const Format = Type.Union([Type.Literal('idx'), Type.Literal('csv'), Type.Literal('npy'), Type.Literal('json')], {
  description: 'idx and npy: the files `x` and `y`; csv and json: one `file`.',
});
const LabelKind = Type.Union([Type.Literal('classes'), Type.Literal('values')]);

export const DatasetOptions = Type.Object(
  {
    labelColumn: Type.Optional(Type.String({ description: 'csv: the label column, by header name.' })),
    numClasses: Type.Optional(Type.Integer({ minimum: 1 })),
    labels: Type.Optional(LabelKind),
  },
  { description: 'The options the files are read with.' },
);

export const Dataset = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    format: Format,
    options: DatasetOptions,
    status: Type.String(),
    sampleShape: Type.Array(Type.Integer(), { description: 'Shape of one sample, e.g. [28, 28].' }),
    labelShape: Type.Array(Type.Integer(), { description: '[] for class labels; the shape of one label for `labels: values`.' }),
    count: Type.Integer({ description: 'Number of samples.' }),
    numClasses: Type.Union([Type.Integer(), Type.Null()], { description: 'Given, or the largest label + 1; null for value labels.' }),
    classCounts: Type.Union([Type.Array(Type.Integer()), Type.Null()], { description: 'Samples per class; null for value labels.' }),
    bytes: Type.Integer({ description: 'Stored (decompressed) bytes over all files.' }),
    sha256: Type.String({
      description: 'SHA-256 (hex) of the decompressed files concatenated in part-name order: x then y (idx, npy), or file (csv, json).',
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Dataset' },
);
export type DatasetBody = Static<typeof Dataset>;

/**
 * The multipart form, for the API description only: the handler reads the
 * parts as a stream (the route does not run this through the validator).
 */
export const DatasetUploadForm = Type.Object(
  {
    format: Format,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    labelColumn: Type.Optional(Type.String({ description: 'Required for csv; only for csv.' })),
    numClasses: Type.Optional(Type.Integer({ minimum: 1, description: 'Labels must be below it (class labels only).' })),
    labels: Type.Optional(LabelKind),
    x: Type.Optional(Type.String({ format: 'binary', description: 'idx, npy: the samples (may be gzipped).' })),
    y: Type.Optional(Type.String({ format: 'binary', description: 'idx, npy: the labels (may be gzipped).' })),
    file: Type.Optional(Type.String({ format: 'binary', description: 'csv, json: the one file (may be gzipped).' })),
  },
  { required: ['format', 'name'], description: 'multipart/form-data; fields and files in any order.' },
);

export const DatasetIdParams = Type.Object({ id: Uuid });

export const DatasetList = Type.Object({
  datasets: Type.Array(Dataset),
  next: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after` for the next (older) page; null on the last page.' }),
});
