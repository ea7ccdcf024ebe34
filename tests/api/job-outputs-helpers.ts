/**
 * Fixtures for the job-outputs tests: a job row made directly in the database
 * (a data set row + a job row, a lease taken with beginAttempt), real engine
 * checkpoints, and a small Server-Sent Events reader over fetch.
 */
import type { PrismaClient } from '../../src/db/generated/client.ts';
import { beginAttempt, createJob } from '../../src/db/repos/jobs.ts';
import { commitCheckpoint, type CheckpointInfo } from '../../src/db/repos/checkpoints.ts';
import { Sequential } from '../../src/engine/index.ts';

export const SPEC = {
  inputShape: [4],
  layers: [
    { type: 'dense', units: 8, activation: 'relu' },
    { type: 'dense', units: 3, activation: 'softmax' },
  ],
};

/** A resolved training config as the jobs route stores it. */
export const TRAINING = {
  optimizer: { type: 'adam', learningRate: 0.05 },
  loss: 'sparseCategoricalCrossentropy',
  metrics: ['accuracy'],
  epochs: 3,
  batchSize: 8,
  shuffle: true,
  validationSplit: 0.25,
  seed: 5,
  checkpoints: { keepLast: 3, bestMetric: 'val_loss', mode: 'min' },
  maxAttempts: 3,
};

export interface SeededJob {
  jobId: string;
  lease: string;
  attempt: number;
}

export async function tenantIdOf(prisma: PrismaClient, name: string): Promise<string> {
  return (await prisma.tenant.findUniqueOrThrow({ where: { name } })).id;
}

/** A data set row and a queued job for it; `start` also takes the lease (status running). */
export async function seedJob(prisma: PrismaClient, tenantId: string, opts: { spec?: unknown; training?: unknown; start?: boolean } = {}): Promise<SeededJob> {
  const ds = await prisma.dataset.create({
    data: { tenantId, name: 'toy', format: 'json', sampleShape: [4], labelShape: [], sampleCount: 64, numClasses: 3, bytes: 1024n, sha256: '0'.repeat(64) },
  });
  const { job } = await createJob(prisma, {
    tenantId, name: 'outputs', type: 'train', datasetId: ds.id, modelSpecId: null,
    spec: (opts.spec ?? SPEC) as object, training: (opts.training ?? TRAINING) as object, maxAttempts: 3, idempotencyKey: null,
  });
  if (opts.start === false) return { jobId: job.id, lease: '', attempt: 0 };
  const a = await beginAttempt(prisma, job.id, 'test-worker', 60_000);
  if (!a) throw new Error('could not begin an attempt');
  return { jobId: job.id, lease: a.lease, attempt: a.attempt };
}

/** A small classification problem: the class is the index of the largest of the first 3 features. */
export function toyData(n: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n);
  let s = 12345;
  const rand = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = rand() * 2 - 1;
    for (let j = 1; j < 3; j++) if (x[i * 4 + j] > x[i * 4 + best]) best = j;
    y[i] = best;
  }
  return { x, y };
}

/** A compiled model to train between checkpoints, as a worker would. */
export function trainingModel(spec: unknown = SPEC, training: { optimizer: unknown; loss: string } = TRAINING): Sequential {
  const model = Sequential.fromSpec(spec, { seed: 3 });
  model.compile({ optimizer: training.optimizer, loss: training.loss });
  return model;
}

export async function trainEpoch(model: Sequential): Promise<void> {
  const { x, y } = toyData(64);
  await model.fit({ data: x, shape: [64, 4] }, { data: y, shape: [64] }, { epochs: 1, batchSize: 8 });
}

/** Trains one more epoch and commits a real checkpoint (weights + optimizer state). */
export async function commitTrainedCheckpoint(
  prisma: PrismaClient, job: SeededJob, model: Sequential, at: { epoch: number; step: number; metrics: Record<string, number | null>; kind?: 'epoch' | 'final' | 'stop' },
): Promise<{ info: CheckpointInfo; bytes: Uint8Array }> {
  await trainEpoch(model);
  const bytes = model.saveCheckpoint();
  const info = await commitCheckpoint(prisma, job.jobId, job.lease, {
    attempt: job.attempt, epoch: at.epoch, step: at.step, kind: at.kind ?? 'epoch', bytes, metrics: at.metrics,
  }, { keepLast: 3, best: { metric: 'val_loss', mode: 'min' } });
  return { info, bytes };
}

export interface SseMessage {
  event: string;
  id?: string;
  data: unknown;
}

/** Parses an SSE body (text) into its events; comments and `retry:` lines are dropped. */
export function parseSse(text: string): SseMessage[] {
  const out: SseMessage[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) out.push({ event, id, data: JSON.parse(data.join('\n')) });
  }
  return out;
}

/**
 * Reads an event stream over a real connection. `until` is called with the events so far after
 * each chunk; returning true stops reading (the connection is then aborted). Resolves when the
 * server ends the stream or `until` says so.
 */
export async function readSse(
  url: string, headers: Record<string, string>, until?: (events: SseMessage[]) => boolean, timeoutMs = 20_000,
): Promise<{ events: SseMessage[]; ended: boolean; raw: string; response: Response }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no end of stream in ${timeoutMs} ms`)), timeoutMs);
  const response = await fetch(url, { headers, signal: ac.signal });
  if (!response.body) throw new Error('no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let raw = '';
  let ended = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        ended = true;
        break;
      }
      raw += r.value;
      const complete = raw.slice(0, raw.lastIndexOf('\n\n') + 2);
      if (until?.(parseSse(complete))) break;
    }
  } finally {
    clearTimeout(timer);
    if (!ended) ac.abort();
    await reader.cancel().catch(() => {});
  }
  return { events: parseSse(raw.slice(0, raw.lastIndexOf('\n\n') + 2)), ended, raw, response };
}
