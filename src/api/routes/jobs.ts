/** Jobs: submit (refused before queueing when it cannot run), list, read, cancel. */
import { Type } from 'typebox';
import type { App } from '../types.ts';
import type { Prisma, PrismaClient } from '../../db/generated/client.ts';
import type { Limits } from '../../shared/config.ts';
import type { TrainingQueue } from '../../queue/training-queue.ts';
import type { CancelRelay } from '../../queue/cancel-relay.ts';
import { AppError } from '../../shared/errors.ts';
import { createJob, decodeJobCursor, getJob, listJobs, requestCancel, type NewJob } from '../../db/repos/jobs.ts';
import { getDataset } from '../../db/repos/datasets.ts';
import { errorResponses } from '../schemas/common.ts';
import { CreateJobBody, JobPageSchema, JobParams, JobSchema, ListJobsQuery } from '../schemas/jobs.ts';
import { admitJob, effectiveLimits } from '../job-admission.ts';
import { admitGanJob } from '../gan-admission.ts';
import { jobSummaryView, jobView } from '../job-view.ts';

export interface JobRouteOptions {
  prisma: PrismaClient;
  limits: Limits;
  queue: TrainingQueue;
  cancelRelay: CancelRelay;
}

const IdempotencyKey = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$', description: 'Retrying a submission with the same key returns the same job.' })),
});

const ENQUEUE_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the queue in ${ms} ms`)), ms);
    }),
  ]);
}

export async function jobRoutes(app: App, opts: JobRouteOptions): Promise<void> {
  const { prisma } = opts;

  app.post('/jobs', {
    schema: {
      tags: ['jobs'],
      summary: 'Submit a training job (a model, or a GAN)',
      description: [
        'Checks the spec, the training options, the data set and the limits, then queues the job. A job that cannot run is refused with 422 before it is queued.',
        '',
        '`type: "train"` (the default) trains `model` (or the stored `modelId`) on the samples and labels with `training.loss`.',
        '`type: "gan"` trains `gan.generator` against `gan.discriminator` on the samples (labels are ignored) with the non-saturating GAN loss;',
        'of `training` it takes epochs, batchSize, seed, checkpoints (keepLast, minIntervalSeconds, bestMetric) and maxAttempts, and refuses with 422 what does not apply',
        '(loss, optimizer, metrics, validationSplit > 0, earlyStopping, classWeight, augment, threads > 1, shuffle false).',
        'A step of a gan job is gan.dSteps discriminator updates (each on batchSize fresh real samples) and one generator update.',
      ].join('\n'),
      security: [{ bearerAuth: [] }],
      headers: IdempotencyKey,
      body: CreateJobBody,
      response: { 201: JobSchema, ...errorResponses(404, 409, 422) },
    },
  }, async (request, reply) => {
    const body = request.body;
    const tenantId = request.tenant.id;
    const idempotencyKey = request.headers['idempotency-key'] ?? null;
    const common = (maxAttempts: number) => ({ tenantId, name: body.name ?? null, datasetId: body.datasetId, maxAttempts, idempotencyKey });
    if (idempotencyKey !== null) {
      const prior = await prisma.job.findUnique({ where: { tenantId_idempotencyKey: { tenantId, idempotencyKey } } });
      if (prior) {
        if (prior.datasetId !== body.datasetId) {
          throw new AppError('conflict', 'this Idempotency-Key was used for a different submission');
        }
        const full = await getJob(prisma, tenantId, prior.id);
        return reply.status(201).header('idempotent-replayed', 'true').send(jobView(full!));
      }
    }
    const dataset = await getDataset(prisma, tenantId, body.datasetId);
    if (!dataset) throw new AppError('invalid_spec', `datasetId: no data set ${body.datasetId} for this tenant`);
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { limits: true } });
    const limits = effectiveLimits(opts.limits, tenant.limits);
    let newJob: NewJob;
    if (body.type === 'gan') {
      if (body.model !== undefined || body.modelId !== undefined) {
        throw new AppError('invalid_spec', `${body.model !== undefined ? 'model' : 'modelId'}: a gan job trains gan.generator and gan.discriminator, not a model`);
      }
      if (body.gan === undefined) throw new AppError('invalid_spec', 'gan: a gan job needs gan.generator and gan.discriminator');
      const admitted = admitGanJob(body.gan, body.training, dataset, limits);
      newJob = { ...common(admitted.training.maxAttempts), type: 'gan', modelSpecId: null, spec: admitted.spec as unknown as Prisma.InputJsonValue, training: admitted.training as unknown as Prisma.InputJsonValue };
    } else {
      if (body.gan !== undefined) throw new AppError('invalid_spec', 'gan: only for jobs of type "gan" (set "type": "gan")');
      if ((body.model === undefined) === (body.modelId === undefined)) {
        throw new AppError('validation_failed', 'body must have exactly one of "model" (a spec) or "modelId" (a stored spec)');
      }
      const loss = body.training.loss;
      if (loss === undefined) throw new AppError('validation_failed', "body/training must have required property 'loss' (train jobs)");
      let spec: unknown = body.model;
      if (body.modelId !== undefined) {
        const stored = await prisma.modelSpec.findFirst({ where: { id: body.modelId, tenantId } });
        if (!stored) throw new AppError('invalid_spec', `modelId: no model ${body.modelId} for this tenant`);
        spec = stored.spec;
      }
      const admitted = admitJob(spec, { ...body.training, loss }, dataset, limits);
      newJob = { ...common(admitted.training.maxAttempts), type: 'train', modelSpecId: body.modelId ?? null, spec: spec as Prisma.InputJsonValue, training: admitted.training as unknown as Prisma.InputJsonValue };
    }
    const { job, created } = await createJob(prisma, newJob);
    if (created) {
      try {
        // Bounded: with the queue's store down the add would wait for it; the job is already recorded.
        await withTimeout(opts.queue.enqueue(job.id), ENQUEUE_TIMEOUT_MS);
      } catch (err) {
        // The job is recorded; the reconciler will queue it when the queue answers again.
        request.log.warn({ err, jobId: job.id }, 'could not enqueue the job now; the reconciler will');
      }
    }
    const full = await getJob(prisma, tenantId, job.id);
    if (!created) reply.header('idempotent-replayed', 'true');
    return reply.status(201).send(jobView(full!));
  });

  app.get('/jobs', {
    schema: {
      tags: ['jobs'],
      summary: 'List jobs, newest first',
      security: [{ bearerAuth: [] }],
      querystring: ListJobsQuery,
      response: { 200: JobPageSchema, ...errorResponses() },
    },
  }, async (request) => {
    const q = request.query;
    const after = q.after !== undefined ? decodeJobCursor(q.after) : undefined;
    if (after === null) throw new AppError('validation_failed', 'querystring/after is not a cursor this API gave out');
    const page = await listJobs(prisma, request.tenant.id, {
      status: q.status?.split(',') as Array<'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'> | undefined,
      limit: q.limit ?? 50,
      ...(after ? { after } : {}),
    });
    return { jobs: page.jobs.map(jobSummaryView), next: page.next };
  });

  app.get('/jobs/:id', {
    schema: {
      tags: ['jobs'],
      summary: 'A job: status, phase, progress, latest metrics, transitions',
      security: [{ bearerAuth: [] }],
      params: JobParams,
      response: { 200: JobSchema, ...errorResponses(404) },
    },
  }, async (request) => {
    const job = await getJob(prisma, request.tenant.id, request.params.id);
    if (!job) throw new AppError('not_found', `no job ${request.params.id}`);
    return jobView(job);
  });

  app.post('/jobs/:id/cancel', {
    schema: {
      tags: ['jobs'],
      summary: 'Cancel a queued or running job',
      description: 'A queued job is cancelled at once (200). A running job is told to stop; it checkpoints and is cancelled within a step or two (202). A finished job answers 409.',
      security: [{ bearerAuth: [] }],
      params: JobParams,
      response: { 200: JobSchema, 202: JobSchema, ...errorResponses(404, 409) },
    },
  }, async (request, reply) => {
    const id = request.params.id;
    const outcome = await requestCancel(prisma, request.tenant.id, id);
    if (outcome === 'not_found') throw new AppError('not_found', `no job ${id}`);
    if (outcome === 'finished') {
      const j = await getJob(prisma, request.tenant.id, id);
      throw new AppError('conflict', `job ${id} already ${j?.status ?? 'finished'}; only queued or running jobs can be cancelled`);
    }
    if (outcome === 'cancelled') {
      await opts.queue.queue.remove(id).catch(() => 0);
    } else {
      await opts.cancelRelay.publish(id).catch((err: unknown) => request.log.warn({ err }, 'cancel relay failed; the worker will see the request in Postgres'));
    }
    const job = await getJob(prisma, request.tenant.id, id);
    return reply.status(outcome === 'cancelled' ? 200 : 202).send(jobView(job!));
  });
}
