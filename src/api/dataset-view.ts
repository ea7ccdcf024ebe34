/** A stored data set row as the API shows it. */
import type { Dataset } from '../db/generated/client.ts';
import type { DatasetBody } from './schemas/datasets.ts';
import type { StoredDatasetOptions } from './dataset-form.ts';

function options(raw: unknown): StoredDatasetOptions {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const o = raw as Record<string, unknown>;
  const out: StoredDatasetOptions = {};
  if (typeof o.labelColumn === 'string') out.labelColumn = o.labelColumn;
  if (typeof o.numClasses === 'number') out.numClasses = o.numClasses;
  if (o.labels === 'classes' || o.labels === 'values') out.labels = o.labels;
  return out;
}

export function datasetView(d: Dataset): DatasetBody {
  return {
    id: d.id,
    name: d.name,
    format: d.format as DatasetBody['format'],
    options: options(d.options),
    status: d.status,
    sampleShape: d.sampleShape,
    labelShape: d.labelShape,
    count: d.sampleCount,
    numClasses: d.numClasses,
    classCounts: Array.isArray(d.classCounts) ? (d.classCounts as number[]) : null,
    bytes: Number(d.bytes),
    sha256: d.sha256,
    createdAt: d.createdAt.toISOString(),
  };
}
