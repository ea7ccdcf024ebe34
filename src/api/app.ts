/**
 * The Fastify application as a function of its dependencies. Tests build it
 * and call `app.inject(...)`; `server.ts` builds it and listens.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { PrismaClient } from '../db/generated/client.ts';
import type { Logger } from '../shared/logger.ts';
import type { App } from './types.ts';
import { ERROR_CODES } from '../shared/errors.ts';
import { registerErrorHandling } from './errors.ts';
import { registerFiniteGuard } from './finite.ts';
import { requireApiKey } from './auth.ts';
import { ErrorResponse } from './schemas/common.ts';
import { healthRoutes, type ReadinessProbe } from './routes/health.ts';
import { tenantRoutes } from './routes/tenant.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { modelRoutes } from './routes/models.ts';
import { jobRoutes } from './routes/jobs.ts';
import { jobOutputRoutes } from './routes/job-outputs.ts';
import type { TrainingQueue } from '../queue/training-queue.ts';
import type { CancelRelay } from '../queue/cancel-relay.ts';
import type { Limits } from '../shared/config.ts';

export interface AppDeps {
  prisma: PrismaClient;
  queue: TrainingQueue;
  cancelRelay: CancelRelay;
  limits: Limits;
  probe: ReadinessProbe;
  logger?: Logger;
  bodyLimit?: number;
  requestTimeoutMs?: number;
  version?: string;
}

function apiDescription(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, e]) => `| \`${code}\` | ${e.status} | ${e.description} |`);
  return [
    'Train neural networks over REST: upload a data set, submit a job, watch it train, download the weights.',
    '',
    'Every `/v1` route needs `Authorization: Bearer <key>` (create one with `npx trainyard keys create --tenant NAME`).',
    'Every error is JSON `{ statusCode, code, message }` with one of these stable codes:',
    '',
    '| code | status | meaning |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const bodyLimit = deps.bodyLimit ?? 10 * 1024 * 1024;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger | undefined,
    bodyLimit,
    requestTimeout: deps.requestTimeoutMs ?? 120_000,
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    pluginTimeout: 60_000,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    ajv: {
      customOptions: {
        // Unknown fields are an error the client should hear about, not something to drop silently.
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are JSON (and multipart for uploads): anything else is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app, bodyLimit);
  app.addSchema(ErrorResponse);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Trainyard', version: deps.version ?? '0.1.0', description: apiDescription() },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'tenant', description: 'The caller' },
        { name: 'datasets', description: 'Upload and manage data sets' },
        { name: 'models', description: 'Validate and store model specs' },
        { name: 'jobs', description: 'Submit, watch and cancel training jobs' },
        { name: 'outputs', description: "A job's metrics, events, checkpoints, weights and predictions" },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerFiniteGuard(app);
  await app.register(healthRoutes, { probe: deps.probe });
  await app.register(
    async (v1) => {
      requireApiKey(v1, deps.prisma);
      await v1.register(tenantRoutes);
      await v1.register(datasetRoutes, { prisma: deps.prisma, limits: deps.limits });
      await v1.register(modelRoutes, { prisma: deps.prisma, limits: deps.limits });
      await v1.register(jobRoutes, { prisma: deps.prisma, limits: deps.limits, queue: deps.queue, cancelRelay: deps.cancelRelay });
      await v1.register(jobOutputRoutes, { prisma: deps.prisma });
    },
    { prefix: '/v1' },
  );
  return app;
}
