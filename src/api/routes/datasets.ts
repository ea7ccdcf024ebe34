/** Data sets: upload (multipart, streamed, size-capped), list, read, delete. */
import multipart from '@fastify/multipart';
import { Type } from 'typebox';
import type { App } from '../types.ts';
import type { PrismaClient } from '../../db/generated/client.ts';
import type { Limits } from '../../shared/config.ts';
import { deleteDataset, getDataset, listDatasets } from '../../db/repos/datasets.ts';
import { AppError } from '../../shared/errors.ts';
import { errorResponses } from '../schemas/common.ts';
import { Dataset, DatasetIdParams, DatasetList, DatasetUploadForm } from '../schemas/datasets.ts';
import { DEFAULT_PAGE_SIZE, ListQuery } from '../schemas/paging.ts';
import { datasetView } from '../dataset-view.ts';
import { decodeCursor, encodeCursor } from '../page-cursor.ts';
import { tenantLimits } from '../tenant-limits.ts';
import { uploadDataset } from '../upload-dataset.ts';

const security = [{ bearerAuth: [] }];

export async function datasetRoutes(app: App, opts: { prisma: PrismaClient; limits: Limits }): Promise<void> {
  const { prisma } = opts;
  // Registered here, so only these routes parse multipart. Per-request limits are set in uploadDataset.
  await app.register(multipart, { throwFileSizeLimit: true });

  app.post('/datasets', {
    schema: {
      tags: ['datasets'],
      summary: 'Upload a data set (multipart/form-data; files may be gzipped)',
      description:
        'Fields `format` (idx, csv, npy, json), `name`, optional `labelColumn` (csv, required there), `numClasses`, `labels` ' +
        '(classes | values); files `x` and `y` (idx, npy) or `file` (csv, json), gzipped or not, in any order. The files are ' +
        'streamed; their decompressed size over all files is capped by the tenant\'s maxUploadBytes (413). The files are read ' +
        'with the same readers training uses: a malformed file is a 422 `invalid_data` naming the file and the row, column or byte.',
      consumes: ['multipart/form-data'],
      security,
      body: DatasetUploadForm,
      response: { 201: Dataset, ...errorResponses(409, 413, 415, 422) },
    },
    // The parts are read as a stream by the handler, which checks them itself.
    validatorCompiler: () => () => true,
  }, async (request, reply) => {
    const limits = await tenantLimits(prisma, request.tenant.id, opts.limits);
    const row = await uploadDataset(prisma, request, limits);
    return reply.status(201).send(datasetView(row));
  });

  app.get('/datasets', {
    schema: {
      tags: ['datasets'],
      summary: "The tenant's data sets, newest first (cursor-paged)",
      security,
      querystring: ListQuery,
      response: { 200: DatasetList, ...errorResponses() },
    },
  }, async (request) => {
    const after = request.query.after === undefined ? undefined : decodeCursor(request.query.after);
    const page = await listDatasets(prisma, request.tenant.id, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, after });
    return { datasets: page.datasets.map(datasetView), next: page.next ? encodeCursor(page.next) : null };
  });

  app.get('/datasets/:id', {
    schema: {
      tags: ['datasets'],
      summary: 'One data set: shapes, count, classes, size and checksum',
      security,
      params: DatasetIdParams,
      response: { 200: Dataset, ...errorResponses(404) },
    },
  }, async (request) => {
    const row = await getDataset(prisma, request.tenant.id, request.params.id);
    if (!row) throw new AppError('not_found', `no data set ${request.params.id}`);
    return datasetView(row);
  });

  app.delete('/datasets/:id', {
    schema: {
      tags: ['datasets'],
      summary: 'Delete a data set (409 while a queued or running job uses it)',
      security,
      params: DatasetIdParams,
      response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(404, 409) },
    },
  }, async (request, reply) => {
    const outcome = await deleteDataset(prisma, request.tenant.id, request.params.id);
    if (outcome === 'not_found') throw new AppError('not_found', `no data set ${request.params.id}`);
    if (outcome === 'in_use') throw new AppError('conflict', `data set ${request.params.id} is used by a queued or running job; cancel the job or wait for it to finish`);
    return reply.status(204).send(null);
  });
}
