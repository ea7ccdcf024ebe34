/**
 * POST /v1/datasets, start to end: receive the multipart parts (streamed,
 * gunzipped, capped), check the form, validate the files with the engine's
 * readers, and store the data set with its content in 1 MiB chunks.
 */
import type { FastifyRequest } from 'fastify';
import type { Dataset, PrismaClient } from '../db/generated/client.ts';
import { createDataset } from '../db/repos/datasets.ts';
import type { Limits } from '../shared/config.ts';
import { checkDataset } from './check-dataset.ts';
import { checkNoExtraFiles, parseDatasetForm, parseFormat } from './dataset-form.ts';
import { receiveUpload, UPLOAD_FIELDS, UPLOAD_FILES } from './upload.ts';
import { concatChunks } from './upload-file.ts';

/** Parser limits: the parts the form can have, and a raw-size cap a little above the decompressed one. */
function parserLimits(maxUploadBytes: number) {
  return {
    fieldNameSize: 64,
    fieldSize: 1024,
    fields: UPLOAD_FIELDS.length + 2,
    files: UPLOAD_FILES.length + 2,
    parts: UPLOAD_FIELDS.length + UPLOAD_FILES.length + 4,
    headerPairs: 32,
    fileSize: maxUploadBytes + 1024 * 1024,
  };
}

function refuseEarly(fields: Readonly<Record<string, string>>, files: readonly string[]): void {
  if (fields.format === undefined) return;
  checkNoExtraFiles(parseFormat(fields.format), files);
}

export async function uploadDataset(prisma: PrismaClient, request: FastifyRequest, limits: Limits): Promise<Dataset> {
  const got = await receiveUpload(request.parts({ limits: parserLimits(limits.maxUploadBytes) }), limits.maxUploadBytes, refuseEarly);
  const form = parseDatasetForm(got.fields, Object.keys(got.files));
  const parts: Record<string, Uint8Array> = {};
  for (const [name, f] of Object.entries(got.files)) {
    parts[name] = concatChunks(f.chunks, f.bytes);
    f.chunks = []; // let the pieces go: only the contiguous copy is needed from here on
  }
  const checked = checkDataset(form, parts, limits.maxMemoryBytes);
  return createDataset(prisma, {
    tenantId: request.tenant.id,
    name: form.name,
    format: form.format,
    options: { ...form.options },
    sampleShape: checked.sampleShape,
    labelShape: checked.labelShape,
    sampleCount: checked.count,
    numClasses: checked.numClasses,
    classCounts: checked.classCounts,
    sha256: checked.sha256,
    parts: Object.fromEntries(Object.entries(parts).map(([name, bytes]) => [name, [bytes]])),
  });
}
