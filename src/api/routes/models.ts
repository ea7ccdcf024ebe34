/** Model specs: dry-run validation with a summary, and named stored specs. */
import type { Static } from 'typebox';
import type { App } from '../types.ts';
import type { ModelSpec as ModelSpecRow, Prisma, PrismaClient } from '../../db/generated/client.ts';
import type { Limits } from '../../shared/config.ts';
import { createModelSpec, getModelSpec, listModelSpecs } from '../../db/repos/model-specs.ts';
import { AppError } from '../../shared/errors.ts';
import { errorResponses } from '../schemas/common.ts';
import { DEFAULT_PAGE_SIZE, ListQuery } from '../schemas/paging.ts';
import { CreateModelBody, Model, ModelIdParams, ModelList, ModelSpec, ValidateQuery, ValidateResult } from '../schemas/models.ts';
import { decodeCursor, encodeCursor } from '../page-cursor.ts';
import { checkSpec, checkStorableSpec, summarize } from '../spec-check.ts';
import { tenantLimits } from '../tenant-limits.ts';

const security = [{ bearerAuth: [] }];

function modelView(row: ModelSpecRow, summary = summarize(row.spec)): Static<typeof Model> {
  return {
    id: row.id,
    name: row.name,
    spec: row.spec as Static<typeof ModelSpec>,
    paramCount: Number(row.paramCount),
    summary,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function modelRoutes(app: App, opts: { prisma: PrismaClient; limits: Limits }): Promise<void> {
  const { prisma } = opts;

  app.post('/models/validate', {
    schema: {
      tags: ['models'],
      summary: 'Dry-run a model spec: per-layer shapes, parameters, FLOPs and memory, and whether it is within your limits',
      description:
        'Nothing is stored and nothing is allocated. A spec that cannot be built is a 422 `invalid_spec` whose message names ' +
        "the layer index, the field and the shapes. Being over the tenant's limits is reported (`withinLimits`, `reasons`), not refused.",
      security,
      querystring: ValidateQuery,
      body: ModelSpec,
      response: { 200: ValidateResult, ...errorResponses(422) },
    },
  }, async (request) => {
    const limits = await tenantLimits(prisma, request.tenant.id, opts.limits);
    const checked = checkSpec(request.body, limits, { batchSize: request.query.batchSize ?? 32, optimizer: request.query.optimizer ?? 'adam' });
    return { valid: true as const, ...checked, limits: { maxParams: limits.maxParams, maxMemoryBytes: limits.maxMemoryBytes } };
  });

  app.post('/models', {
    schema: {
      tags: ['models'],
      summary: 'Store a named model spec',
      description: "422 `invalid_spec` for a spec that cannot be built, 422 `limit_exceeded` over the tenant's maxParams, 409 for a name already used.",
      security,
      body: CreateModelBody,
      response: { 201: Model, ...errorResponses(409, 422) },
    },
  }, async (request, reply) => {
    const limits = await tenantLimits(prisma, request.tenant.id, opts.limits);
    const summary = checkStorableSpec(request.body.spec, limits);
    const row = await createModelSpec(prisma, {
      tenantId: request.tenant.id,
      name: request.body.name,
      spec: request.body.spec as Prisma.InputJsonValue,
      paramCount: summary.trainableParams,
    });
    if (row === 'duplicate') throw new AppError('conflict', `a model named ${JSON.stringify(request.body.name)} already exists`);
    return reply.status(201).send(modelView(row, summary));
  });

  app.get('/models', {
    schema: {
      tags: ['models'],
      summary: "The tenant's stored model specs, newest first (cursor-paged)",
      security,
      querystring: ListQuery,
      response: { 200: ModelList, ...errorResponses() },
    },
  }, async (request) => {
    const after = request.query.after === undefined ? undefined : decodeCursor(request.query.after);
    const page = await listModelSpecs(prisma, request.tenant.id, { limit: request.query.limit ?? DEFAULT_PAGE_SIZE, after });
    return {
      models: page.models.map((m) => ({ id: m.id, name: m.name, paramCount: Number(m.paramCount), createdAt: m.createdAt.toISOString() })),
      next: page.next ? encodeCursor(page.next) : null,
    };
  });

  app.get('/models/:id', {
    schema: {
      tags: ['models'],
      summary: 'One stored model spec, with its summary',
      security,
      params: ModelIdParams,
      response: { 200: Model, ...errorResponses(404) },
    },
  }, async (request) => {
    const row = await getModelSpec(prisma, request.tenant.id, request.params.id);
    if (!row) throw new AppError('not_found', `no model ${request.params.id}`);
    return modelView(row);
  });
}
