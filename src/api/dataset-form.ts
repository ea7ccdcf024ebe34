/**
 * The text fields of a data set upload, checked and turned into the engine's
 * read options; and which files each format takes. Every problem is a 400
 * `validation_failed` naming the field or file.
 */
import { DATASET_FORMATS, DATASET_PARTS, type DatasetFormat } from '../engine/data/readDataset.ts';
import { AppError } from '../shared/errors.ts';

/** The options a data set's files are read with, as stored on the data set (`options`). */
export interface StoredDatasetOptions {
  labelColumn?: string;
  numClasses?: number;
  labels?: 'classes' | 'values';
}

export interface DatasetForm {
  format: DatasetFormat;
  name: string;
  options: StoredDatasetOptions;
}

export const MAX_NAME_LENGTH = 200;
const MAX_CLASSES = 2 ** 31 - 1;

function isFormat(v: string): v is DatasetFormat {
  return (DATASET_FORMATS as readonly string[]).includes(v);
}

/** The format named by the `format` field; 400 when it is not one we read. */
export function parseFormat(raw: string): DatasetFormat {
  if (!isFormat(raw)) throw new AppError('validation_failed', `format must be one of ${DATASET_FORMATS.join(', ')}; got ${JSON.stringify(raw)}`);
  return raw;
}

function quoteList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

/** Files the format does not take (refused as soon as the format is known). */
export function checkNoExtraFiles(format: DatasetFormat, files: readonly string[]): void {
  const want = DATASET_PARTS[format];
  const extra = files.filter((f) => !want.includes(f));
  if (extra.length > 0) {
    throw new AppError('validation_failed', `format ${format} takes the file(s) ${quoteList(want)}; not expected: ${quoteList(extra)}`);
  }
}

export function checkFiles(format: DatasetFormat, files: readonly string[]): void {
  checkNoExtraFiles(format, files);
  const want = DATASET_PARTS[format];
  const missing = want.filter((f) => !files.includes(f));
  if (missing.length > 0) {
    throw new AppError('validation_failed', `format ${format} needs the file(s) ${quoteList(want)}; missing: ${quoteList(missing)}`);
  }
}

export function parseDatasetForm(fields: Readonly<Record<string, string>>, files: readonly string[]): DatasetForm {
  const missing = ['format', 'name'].filter((f) => fields[f] === undefined);
  if (missing.length > 0) throw new AppError('validation_failed', `missing field(s): ${quoteList(missing)}`);
  const format = parseFormat(fields.format);
  const name = fields.name.trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new AppError('validation_failed', `name must be 1 to ${MAX_NAME_LENGTH} characters (not only spaces)`);
  }
  const options: StoredDatasetOptions = {};
  if (fields.labels !== undefined) {
    if (fields.labels !== 'classes' && fields.labels !== 'values') {
      throw new AppError('validation_failed', `labels must be "classes" or "values"; got ${JSON.stringify(fields.labels)}`);
    }
    options.labels = fields.labels;
  }
  if (fields.numClasses !== undefined) {
    const n = /^\d{1,10}$/.test(fields.numClasses.trim()) ? Number(fields.numClasses.trim()) : NaN;
    if (!(n >= 1 && n <= MAX_CLASSES)) {
      throw new AppError('validation_failed', `numClasses must be a whole number from 1 to ${MAX_CLASSES}; got ${JSON.stringify(fields.numClasses)}`);
    }
    if (options.labels === 'values') throw new AppError('validation_failed', 'numClasses applies to class labels only, not to labels "values"');
    options.numClasses = n;
  }
  if (format === 'csv') {
    if (fields.labelColumn === undefined || fields.labelColumn === '') {
      throw new AppError('validation_failed', 'format csv needs the field "labelColumn", the name of the label column');
    }
    options.labelColumn = fields.labelColumn;
  } else if (fields.labelColumn !== undefined) {
    throw new AppError('validation_failed', `labelColumn applies to format csv only, not ${format}`);
  }
  checkFiles(format, files);
  return { format, name, options };
}
