/**
 * One entry point for every format a data set can be uploaded in, so the API
 * (validating an upload) and a training thread (loading it) read the bytes
 * the same way. Bytes are already decompressed.
 */
import { DataFormatError } from './dataFormatError.ts';
import { readCsvSync } from './csv.ts';
import { idxDataset, readIdx } from './idx.ts';
import { readJsonDataset } from './json.ts';
import { npyDataset, readNpy } from './npy.ts';
import type { Dataset, LabelOptions, ReadLimits } from './types.ts';

export const DATASET_FORMATS = ['idx', 'csv', 'npy', 'json'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface DatasetOptions extends LabelOptions {
  /** csv: the label column's name (required for csv). */
  labelColumn?: string;
  /** csv: the delimiter (default `,`). */
  delimiter?: string;
}

/** The files of each format: `x` and `y` for idx and npy, one `file` for csv and json. */
export const DATASET_PARTS: Readonly<Record<DatasetFormat, readonly string[]>> = {
  idx: ['x', 'y'],
  npy: ['x', 'y'],
  csv: ['file'],
  json: ['file'],
};

function part(parts: Readonly<Record<string, Uint8Array>>, name: string, format: DatasetFormat): Uint8Array {
  const p = parts[name];
  if (!p) throw new DataFormatError('missing_column', `format ${format} needs the file "${name}"`);
  return p;
}

/** Errors from the x or y file are prefixed with the file's name, so "x: byte 17: ..." says where. */
function inFile<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof DataFormatError) e.message = `${name}: ${e.message}`;
    throw e;
  }
}

export function readDataset(
  format: DatasetFormat,
  parts: Readonly<Record<string, Uint8Array>>,
  options: DatasetOptions = {},
  limits: ReadLimits = {},
): Dataset {
  switch (format) {
    case 'idx': {
      const x = inFile('x', () => readIdx(part(parts, 'x', format), limits));
      const y = inFile('y', () => readIdx(part(parts, 'y', format), limits));
      return idxDataset(x, y, { ...limits, numClasses: options.numClasses });
    }
    case 'npy': {
      const x = inFile('x', () => readNpy(part(parts, 'x', format), limits));
      const y = inFile('y', () => readNpy(part(parts, 'y', format), limits));
      return npyDataset(x, y, { ...limits, labels: options.labels, numClasses: options.numClasses });
    }
    case 'csv': {
      if (!options.labelColumn) throw new DataFormatError('missing_column', 'format csv needs labelColumn, the name of the label column');
      return readCsvSync(part(parts, 'file', format), {
        ...limits,
        label: options.labelColumn,
        delimiter: options.delimiter,
        labels: options.labels,
        numClasses: options.numClasses,
      });
    }
    case 'json':
      return readJsonDataset(part(parts, 'file', format), { ...limits, labels: options.labels, numClasses: options.numClasses });
  }
}
