/**
 * Validates an upload's (decompressed) files with the engine's readers, the
 * same code a training thread later reads them with, and describes the data
 * set for storage: shapes, count, classes, and a SHA-256 of the stored bytes.
 *
 * sha256 is over the decompressed bytes of every part, concatenated in
 * ascending part-name order: `x` then `y` for idx and npy, `file` for csv and
 * json (the order loadDatasetParts reads the chunks in).
 */
import { createHash } from 'node:crypto';
import { classCounts } from '../engine/data/classCounts.ts';
import { DataFormatError } from '../engine/data/dataFormatError.ts';
import { readDataset } from '../engine/data/readDataset.ts';
import { AppError } from '../shared/errors.ts';
import type { DatasetForm } from './dataset-form.ts';

export interface CheckedDataset {
  sampleShape: number[];
  labelShape: number[];
  count: number;
  numClasses: number | null;
  classCounts: number[] | null;
  sha256: string;
}

export function sha256OfParts(parts: Readonly<Record<string, Uint8Array>>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(parts).sort()) h.update(parts[name]);
  return h.digest('hex');
}

/**
 * Which file an error is in, as a prefix: the engine already prefixes errors
 * reading x or y; pairing them, a label error is y's and a count mismatch
 * both's; csv and json have the single file `file`.
 */
function withFile(format: DatasetForm['format'], e: DataFormatError): string {
  if (/^(x|y): /.test(e.message)) return e.message;
  if (format === 'csv' || format === 'json') return `file: ${e.message}`;
  if (e.code === 'bad_label' || e.code === 'not_finite') return `y: ${e.message}`;
  return `x and y: ${e.message}`;
}

/**
 * `maxBytes` bounds what the readers allocate (the float arrays are up to 4×
 * the file for bytes): the tenant's training memory limit, since a data set
 * that does not fit it cannot be trained on.
 */
export function checkDataset(form: DatasetForm, parts: Readonly<Record<string, Uint8Array>>, maxBytes: number): CheckedDataset {
  let read;
  try {
    read = readDataset(form.format, parts, form.options, { maxBytes });
  } catch (e) {
    if (e instanceof DataFormatError) {
      throw new AppError(e.code === 'limit_exceeded' ? 'limit_exceeded' : 'invalid_data', withFile(form.format, e), { cause: e });
    }
    throw e;
  }
  if (read.count === 0) throw new AppError('invalid_data', 'the data set has no samples');
  const classes = read.y instanceof Int32Array;
  return {
    sampleShape: read.sampleShape,
    labelShape: read.labelShape,
    count: read.count,
    numClasses: classes ? (read.numClasses ?? null) : null,
    classCounts: classes ? classCounts(read.y, read.numClasses) : null,
    sha256: sha256OfParts(parts),
  };
}
