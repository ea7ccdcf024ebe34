/** What a job produces: metrics (paged, downsampled), a live event stream, checkpoints, weights, predictions. */
import { Type } from 'typebox';
import type { FastifyReply } from 'fastify';
import type { App } from '../types.ts';
import type { PrismaClient } from '../../db/generated/client.ts';
import { getJob, type JobWithTransitions } from '../../db/repos/jobs.ts';
import { downsampleMetrics, listMetrics } from '../../db/repos/metrics.ts';
import { checkpointsWithSamples, findCheckpoint, findSamplePng, listCheckpoints, sha256Hex, type CheckpointInfo } from '../../db/repos/checkpoints.ts';
import { AppError } from '../../shared/errors.ts';
import { errorResponses } from '../schemas/common.ts';
import {
  CheckpointList, EVENTS_DESCRIPTION, EventsHeaders, EventsQuery, JobParams, MetricsPage, MetricsQuery,
  PredictBody, PredictQuery, PredictResponse, SAMPLES_DESCRIPTION, SamplesParams, SamplesQuery, WEIGHTS_DESCRIPTION, WeightsJson, WeightsQuery,
} from '../schemas/job-outputs.ts';
import { decodeMetricCursor, encodeMetricCursor } from '../outputs/metric-cursor.ts';
import { bestOf, bestRule, chooseCheckpoint, latestOf } from '../../db/repos/checkpoint-choice.ts';
import { openSse, type SseStream } from '../outputs/sse.ts';
import { START_CURSOR, metricPointJson, parseEventId, streamJobEvents } from '../outputs/job-events.ts';
import { encodeWeightsFile, ganNetworkWeights } from '../outputs/weights-format.ts';
import { ifNoneMatchHits, strongEtag } from '../outputs/etag.ts';
import { Lru } from '../outputs/lru.ts';
import { MAX_PREDICT_FLOPS, ModelCache, predict } from '../outputs/predictor.ts';
import { readPredictionInputs } from '../outputs/prediction-inputs.ts';
import { generate, predictionJson, predictionPng, readLatents } from '../outputs/gan-predict.ts';
import { isImageShape, type GanSpec } from '../../shared/gan-config.ts';

export interface JobOutputOptions {
  prisma: PrismaClient;
  /** The event stream's database poll and heartbeat periods (default 300 ms and 15 s). */
  events?: { pollMs?: number; heartbeatMs?: number };
}

const TAGS = ['outputs'];
const SECURITY = [{ bearerAuth: [] }];

export async function jobOutputRoutes(app: App, opts: JobOutputOptions): Promise<void> {
  const { prisma } = opts;
  const pollMs = opts.events?.pollMs ?? 300;
  const heartbeatMs = opts.events?.heartbeatMs ?? 15_000;
  const streams = new Set<SseStream>();
  const etags = new Lru<string, string>({ maxEntries: 1024 });
  const models = new ModelCache();

  // Open event streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });

  async function requireJob(tenantId: string, id: string): Promise<JobWithTransitions> {
    const job = await getJob(prisma, tenantId, id);
    if (!job) throw new AppError('not_found', `no job ${id}`);
    return job;
  }

  async function requireCheckpoint(job: JobWithTransitions, which: string): Promise<CheckpointInfo> {
    const list = await listCheckpoints(prisma, job.id);
    if (list.length === 0) throw new AppError('not_found', `job ${job.id} has no checkpoint yet (status ${job.status})`);
    const chosen = chooseCheckpoint(list, which, bestRule(job.training));
    if (!chosen) throw new AppError('not_found', `job ${job.id} has no checkpoint ${which} (it may have been rotated out; see /checkpoints)`);
    return chosen;
  }

  async function checkpointBytes(jobId: string, c: CheckpointInfo): Promise<Uint8Array> {
    const full = await findCheckpoint(prisma, jobId, c.id);
    if (!full) throw new AppError('not_found', `checkpoint ${c.id} was just rotated out; ask again`);
    return full.bytes;
  }

  app.get('/jobs/:id/metrics', {
    schema: {
      tags: TAGS,
      summary: "A job's metric points, cursor-paged or downsampled",
      description: 'Paged by `after`/`limit` in the order the points were written (stable while the job writes: new points only appear after any cursor). With `maxPoints`, one downsampled list per series instead (first and last point kept, no cursor). Values: numbers, or "NaN" / "Infinity" / "-Infinity".',
      security: SECURITY,
      params: JobParams,
      querystring: MetricsQuery,
      response: { 200: MetricsPage, ...errorResponses(404) },
    },
  }, async (request) => {
    const { id } = request.params;
    const q = request.query;
    const job = await requireJob(request.tenant.id, id);
    const series = q.series ? [...new Set(q.series.split(','))] : undefined;
    if (q.maxPoints !== undefined) {
      if (q.after !== undefined) throw new AppError('validation_failed', 'querystring/after cannot be combined with maxPoints (a downsampled series has no cursor)');
      const rows = await downsampleMetrics(prisma, job.id, series, q.maxPoints);
      return { points: rows.map(metricPointJson), next: null, cursor: null };
    }
    let afterId: bigint | undefined;
    if (q.after !== undefined) {
      const decoded = decodeMetricCursor(q.after);
      if (decoded === null) throw new AppError('validation_failed', 'querystring/after is not a cursor returned by this endpoint');
      afterId = decoded;
    }
    const page = await listMetrics(prisma, job.id, { series, afterId, limit: q.limit ?? 1000 });
    const last = page.points.length > 0 ? page.points[page.points.length - 1].id : afterId;
    return {
      points: page.points.map(metricPointJson),
      next: page.next === null ? null : encodeMetricCursor(page.next),
      cursor: last === undefined ? null : encodeMetricCursor(last),
    };
  });

  app.get('/jobs/:id/events', {
    // A HEAD request would hold a stream open with nothing to show for it.
    exposeHeadRoute: false,
    schema: {
      tags: TAGS,
      summary: "A live stream of the job's status, progress and metric points (Server-Sent Events)",
      description: EVENTS_DESCRIPTION,
      security: SECURITY,
      params: JobParams,
      querystring: EventsQuery,
      headers: EventsHeaders,
      response: {
        200: { description: 'The event stream; it ends after the job finishes.', content: { 'text/event-stream': { schema: Type.String() } } },
        ...errorResponses(404),
      },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const lastId = request.headers['last-event-id'] ?? request.query.lastEventId;
    const from = lastId === undefined || lastId === '' ? START_CURSOR : parseEventId(lastId);
    if (from === null) throw new AppError('validation_failed', 'Last-Event-ID is not an event id sent by this stream');
    const job = await requireJob(request.tenant.id, id);
    const stream = openSse(reply, { heartbeatMs, retryMs: 2000 });
    streams.add(stream);
    try {
      await streamJobEvents({ prisma, tenantId: request.tenant.id, jobId: job.id, from, stream, pollMs });
    } catch (err) {
      request.log.error({ err, jobId: job.id }, 'event stream failed');
    } finally {
      stream.end();
      streams.delete(stream);
    }
  });

  app.get('/jobs/:id/checkpoints', {
    schema: {
      tags: TAGS,
      summary: "A job's checkpoints, with which one is the latest and the best",
      security: SECURITY,
      params: JobParams,
      response: { 200: CheckpointList, ...errorResponses(404) },
    },
  }, async (request) => {
    const job = await requireJob(request.tenant.id, request.params.id);
    const list = await listCheckpoints(prisma, job.id);
    const rule = bestRule(job.training);
    const latest = latestOf(list)?.id ?? null;
    const best = bestOf(list, rule)?.id ?? null;
    const withSamples = job.type === 'gan' ? await checkpointsWithSamples(prisma, job.id) : new Set<string>();
    return {
      checkpoints: list.map((c) => ({
        id: c.id, kind: c.kind, attempt: c.attempt, epoch: c.epoch, step: c.step, size: c.size, sha256: c.sha256,
        metrics: c.metrics, createdAt: c.createdAt.toISOString(), latest: c.id === latest, best: c.id === best,
        samplesUrl: withSamples.has(c.id) ? `/v1/jobs/${job.id}/checkpoints/${c.id}/samples.png` : null,
      })),
      latest,
      best,
      bestMetric: rule ?? null,
    };
  });

  async function sendSamples(job: JobWithTransitions, which: string, ifNoneMatch: string | undefined, reply: FastifyReply): Promise<FastifyReply> {
    if (job.type !== 'gan') throw new AppError('no_samples', `job ${job.id} is a ${job.type} job; sample grids are made by gan jobs`);
    const sampleShape = (job.spec as { discriminator?: { inputShape?: number[] } } | null)?.discriminator?.inputShape ?? [];
    if (!isImageShape(sampleShape)) {
      throw new AppError('no_samples', `job ${job.id} generates samples of shape [${sampleShape.join(', ')}], which are not images ([h, w] or [h, w, 1|3|4]); use /predict for them`);
    }
    const chosen = await requireCheckpoint(job, which);
    const key = `${chosen.id}:samples`;
    const known = etags.get(key);
    reply.header('x-trainyard-checkpoint', chosen.id).header('cache-control', 'private, no-cache');
    if (known && ifNoneMatchHits(ifNoneMatch, known)) return reply.code(304).header('etag', known).send(null);
    const png = await findSamplePng(prisma, job.id, chosen.id);
    if (!png) throw new AppError('not_found', `checkpoint ${chosen.id} has no sample grid (it may have been rotated out; see /checkpoints)`);
    const etag = strongEtag(sha256Hex(png));
    etags.set(key, etag);
    reply.header('etag', etag);
    if (ifNoneMatchHits(ifNoneMatch, etag)) return reply.code(304).send(null);
    return reply
      .header('content-type', 'image/png')
      .header('content-length', png.byteLength)
      .header('content-disposition', `inline; filename="trainyard-${job.id}-samples-step${chosen.step}.png"`)
      .send(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
  }

  const samplesResponse = {
    200: { description: 'The sample grid.', content: { 'image/png': { schema: Type.String({ format: 'binary' }) } } },
    304: { description: 'Not modified: If-None-Match holds the ETag of this image.', type: 'null' },
    ...errorResponses(404),
  } as const;

  app.get('/jobs/:id/samples.png', {
    schema: {
      tags: TAGS,
      summary: "A gan job's sample grid at a checkpoint (PNG; default the latest)",
      description: SAMPLES_DESCRIPTION,
      security: SECURITY,
      params: JobParams,
      querystring: SamplesQuery,
      response: samplesResponse,
    },
  }, async (request, reply) => {
    const job = await requireJob(request.tenant.id, request.params.id);
    return sendSamples(job, request.query.checkpoint ?? 'latest', request.headers['if-none-match'], reply as FastifyReply);
  });

  app.get('/jobs/:id/checkpoints/:checkpointId/samples.png', {
    schema: {
      tags: TAGS,
      summary: "A gan job's sample grid at one checkpoint (PNG)",
      description: SAMPLES_DESCRIPTION,
      security: SECURITY,
      params: SamplesParams,
      response: samplesResponse,
    },
  }, async (request, reply) => {
    const job = await requireJob(request.tenant.id, request.params.id);
    return sendSamples(job, request.params.checkpointId, request.headers['if-none-match'], reply as FastifyReply);
  });

  app.get('/jobs/:id/weights', {
    schema: {
      tags: TAGS,
      summary: "Download the model's weights at a checkpoint (safetensors or JSON)",
      description: WEIGHTS_DESCRIPTION,
      security: SECURITY,
      params: JobParams,
      querystring: WeightsQuery,
      response: {
        200: {
          description: 'The weights file (Content-Disposition: attachment).',
          content: {
            'application/octet-stream': { schema: Type.String({ format: 'binary' }) },
            'application/json': { schema: WeightsJson },
          },
        },
        304: { description: 'Not modified: If-None-Match holds the ETag of these weights.', type: 'null' },
        ...errorResponses(404, 422),
      },
    },
  }, async (request, reply) => {
    const job = await requireJob(request.tenant.id, request.params.id);
    const format = request.query.format ?? 'safetensors';
    const checkpoint = request.query.checkpoint ?? 'latest';
    if (job.type !== 'gan' && request.query.network !== undefined) {
      throw new AppError('validation_failed', `querystring/network: only gan jobs have networks to choose from; job ${job.id} is a ${job.type} job`);
    }
    const network = job.type === 'gan' ? (request.query.network ?? 'generator') : undefined;
    const chosen = await requireCheckpoint(job, checkpoint);
    const key = `${chosen.id}:${format}:${network ?? ''}`;
    const ifNoneMatch = request.headers['if-none-match'];
    const known = etags.get(key);
    reply.header('x-trainyard-checkpoint', chosen.id).header('cache-control', 'private, no-cache');
    if (known && ifNoneMatchHits(ifNoneMatch, known)) return reply.code(304).header('etag', known).send(null);
    const source = { jobId: job.id, checkpointId: chosen.id, epoch: chosen.epoch, step: chosen.step, bytes: await checkpointBytes(job.id, chosen), ...(network ? { network } : {}) };
    let file;
    try {
      file = encodeWeightsFile(source, format);
    } catch (e) {
      if (e instanceof RangeError) throw new AppError('limit_exceeded', e.message);
      throw e;
    }
    const etag = strongEtag(sha256Hex(file.body));
    etags.set(key, etag);
    reply.header('etag', etag);
    if (ifNoneMatchHits(ifNoneMatch, etag)) return reply.code(304).send(null);
    // Bytes already encoded (and hashed for the ETag): sent as they are, not serialized.
    return (reply as FastifyReply)
      .header('content-type', file.contentType)
      .header('content-length', file.body.byteLength)
      .header('content-disposition', `attachment; filename="${file.filename}"`)
      .send(file.body);
  });

  app.post('/jobs/:id/predict', {
    schema: {
      tags: TAGS,
      summary: "Run the model (a gan job: its generator) with a checkpoint's weights",
      description: [
        "train jobs: `inputs` are one sample or a batch (the shape tells); outputs follow. A shape that fits neither is a 422 naming both shapes.",
        'gan jobs: `latents` (vectors of latentDim numbers; a wrong length is a 422 naming its index) or `count` random latent vectors',
        "(standard normal from `seed`, which is chosen and returned when omitted): `outputs` are the generator's samples",
        '(in `sampleRange`), with the `latents` used; `?format=png` or `Accept: image/png` tiles them into one PNG instead.',
        'More than 4096 samples, or more than 1e10 FLOPs of forward pass, is a 422 limit_exceeded. The model is cached per checkpoint.',
      ].join(' '),
      security: SECURITY,
      params: JobParams,
      querystring: PredictQuery,
      body: PredictBody,
      response: {
        200: {
          description: 'The prediction (JSON), or for a gan job with format=png the samples as one PNG grid.',
          content: {
            'application/json': { schema: PredictResponse },
            'image/png': { schema: Type.String({ format: 'binary' }) },
          },
        },
        ...errorResponses(404, 409, 413, 422),
      },
    },
  }, async (request, reply) => {
    const job = await requireJob(request.tenant.id, request.params.id);
    const body = request.body;
    const chosen = await requireCheckpoint(job, body.checkpoint ?? 'latest');
    const checkpoint = { id: chosen.id, epoch: chosen.epoch, step: chosen.step };
    if (job.type === 'gan') {
      if (body.inputs !== undefined) throw new AppError('invalid_data', 'body/inputs: a gan job generates from "latents" or "count", not from inputs');
      const spec = job.spec as unknown as GanSpec;
      const { model, flopsPerSample } = await models.get(`${chosen.id}:generator`, spec.generator, async () => ganNetworkWeights(await checkpointBytes(job.id, chosen), 'generator'));
      const latents = readLatents(body, model.inputShape[0]);
      checkFlops(flopsPerSample, latents.count);
      const wantsPng = request.query.format === 'png' || (request.query.format === undefined && /\bimage\/png\b/.test(request.headers.accept ?? ''));
      if (wantsPng && !isImageShape(model.outputShape)) {
        throw new AppError('no_samples', `the generator's samples have shape [${model.outputShape.join(', ')}], not an image ([h, w] or [h, w, 1|3|4]); ask for JSON`);
      }
      const result = generate(model, latents);
      if (wantsPng) {
        const png = predictionPng(result);
        if (latents.seed !== undefined) reply.header('x-trainyard-seed', String(latents.seed));
        return (reply as FastifyReply)
          .header('content-type', 'image/png')
          .header('content-length', png.byteLength)
          .header('x-trainyard-checkpoint', chosen.id)
          .send(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
      }
      return reply.send({ ...predictionJson(result, latents), checkpoint });
    }
    for (const field of ['latents', 'count', 'seed'] as const) {
      if (body[field] !== undefined) throw new AppError('invalid_data', `body/${field}: only for gan jobs; a ${job.type} job predicts from "inputs"`);
    }
    if (request.query.format === 'png') throw new AppError('invalid_data', `querystring/format: png is for gan jobs; job ${job.id} is a ${job.type} job`);
    if (body.inputs === undefined) throw new AppError('validation_failed', "body must have required property 'inputs'");
    const { model, flopsPerSample } = await models.get(chosen.id, job.spec, () => checkpointBytes(job.id, chosen));
    const inputs = readPredictionInputs(body.inputs, model.inputShape);
    checkFlops(flopsPerSample, inputs.count);
    const loss = (job.training as { loss?: unknown } | null)?.loss;
    const result = predict(model, inputs, typeof loss === 'string' ? loss : undefined);
    return reply.send({ ...result, checkpoint });
  });
}

function checkFlops(flopsPerSample: number, count: number): void {
  if (flopsPerSample * count > MAX_PREDICT_FLOPS) {
    const fit = Math.max(1, Math.floor(MAX_PREDICT_FLOPS / flopsPerSample));
    throw new AppError('limit_exceeded', `${count} samples need ${(flopsPerSample * count).toExponential(2)} FLOPs; at most ${MAX_PREDICT_FLOPS.toExponential(0)} per request (send at most ${fit} samples at a time)`);
  }
}
