/**
 * The live events of one job, read by polling Postgres (works in every
 * configuration, needs nothing besides the database) and written to an SSE stream.
 *
 * Events, in the order one poll sends them:
 * - `metric`   `{ points: [{ series, step, epoch, value, time }] }`: new metric rows, in id
 *              order, in batches; values as in GET /metrics ("NaN", "Infinity", "-Infinity").
 * - `progress` the job's progress JSON `{ epoch, epochs, step, steps, samplesPerSecond, etaSeconds }`,
 *              when it changed (a state, not a log: a resumed stream gets the current one).
 * - `status`   `{ status, phase, attempt, failure, transitions: [...] }` when there are new
 *              status transitions or the phase changed; `transitions` holds only the new ones.
 * - `end`      `{ status }`: the job is finished and everything was sent; the stream then closes.
 *
 * Event ids (the SSE `id:`, sent back as `Last-Event-ID` on reconnection) are
 * `<metric>.<transition>.<phase>.<progress>`: the last metric row id and the last
 * transition row id sent (decimal), and 8-hex hashes of the phase and the progress
 * last sent. Each event's id is the whole cursor after that event, so resuming
 * from it sends exactly what came after: metric rows and transitions with larger
 * ids (a job's rows are written by one lease holder at a time, so ids grow in
 * commit order), and the progress/phase only if they differ from what was sent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PrismaClient } from '../../db/generated/client.ts';
import { listMetrics, type MetricPointRow } from '../../db/repos/metrics.ts';
import { TERMINAL } from '../../db/repos/jobs.ts';
import type { SseStream } from './sse.ts';
import { toJsonNumber } from './json-number.ts';

export interface EventCursor {
  metric: bigint;
  transition: bigint;
  phase: string;
  progress: string;
}

export const START_CURSOR: EventCursor = { metric: 0n, transition: 0n, phase: '0', progress: '0' };

export function formatEventId(c: EventCursor): string {
  return `${c.metric}.${c.transition}.${c.phase}.${c.progress}`;
}

/** The cursor an event id stands for, or null when it is not an id this API sent. */
export function parseEventId(id: string): EventCursor | null {
  const m = /^(0|[1-9]\d{0,18})\.(0|[1-9]\d{0,18})\.([0-9a-f]{1,8})\.([0-9a-f]{1,8})$/.exec(id);
  return m ? { metric: BigInt(m[1]), transition: BigInt(m[2]), phase: m[3], progress: m[4] } : null;
}

/** FNV-1a of the value's JSON, 8 hex digits; '0' for null/undefined ("nothing sent yet"). */
export function stateHash(value: unknown): string {
  if (value === null || value === undefined) return '0';
  const s = JSON.stringify(value);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function metricPointJson(p: Omit<MetricPointRow, 'id'>) {
  return { series: p.series, step: p.step, epoch: p.epoch, value: toJsonNumber(p.value), time: p.time.toISOString() };
}

async function readJobState(prisma: PrismaClient, tenantId: string, jobId: string, afterTransition: bigint) {
  return prisma.job.findFirst({
    where: { id: jobId, tenantId },
    select: {
      status: true,
      phase: true,
      attempt: true,
      progress: true,
      failureCode: true,
      failureReason: true,
      transitions: { where: { id: { gt: afterTransition } }, orderBy: { id: 'asc' } },
    },
  });
}

export interface JobEventsOptions {
  prisma: PrismaClient;
  tenantId: string;
  jobId: string;
  from: EventCursor;
  stream: SseStream;
  pollMs: number;
  /** Metric points per `metric` event. */
  batch?: number;
}

/** Streams until the job is finished (then sends `end`), the job disappears, or the client leaves. */
export async function streamJobEvents(o: JobEventsOptions): Promise<void> {
  const { prisma, stream } = o;
  const batch = o.batch ?? 500;
  const c: EventCursor = { ...o.from };
  const send = (event: string, data: unknown) => stream.send({ event, id: formatEventId(c), data });
  while (!stream.signal.aborted) {
    // The job first, then its metrics: once it reads as finished, no more points can arrive
    // (writes need the lease, which finishing released), so the stream can end after them.
    const job = await readJobState(prisma, o.tenantId, o.jobId, c.transition);
    if (!job) break;
    for (;;) {
      const page = await listMetrics(prisma, o.jobId, { afterId: c.metric, limit: batch });
      if (page.points.length > 0) {
        c.metric = page.points[page.points.length - 1].id;
        await send('metric', { points: page.points.map(metricPointJson) });
      }
      if (page.next === null || stream.signal.aborted) break;
    }
    const progress = stateHash(job.progress);
    if (progress !== c.progress && job.progress !== null) {
      c.progress = progress;
      await send('progress', job.progress);
    }
    const phase = stateHash(job.phase);
    if (job.transitions.length > 0 || phase !== c.phase) {
      if (job.transitions.length > 0) c.transition = job.transitions[job.transitions.length - 1].id;
      c.phase = phase;
      await send('status', {
        status: job.status,
        phase: job.phase,
        attempt: job.attempt,
        failure: job.failureCode ? { code: job.failureCode, reason: job.failureReason } : null,
        transitions: job.transitions.map((t) => ({
          id: t.id.toString(), from: t.fromStatus, to: t.toStatus, attempt: t.attempt, reason: t.reason, at: t.at.toISOString(),
        })),
      });
    }
    if (TERMINAL.includes(job.status)) {
      await send('end', { status: job.status });
      break;
    }
    try {
      await sleep(o.pollMs, undefined, { signal: stream.signal });
    } catch {
      break;
    }
  }
  stream.end();
}
