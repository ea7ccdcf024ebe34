/**
 * The job event stream (Server-Sent Events) over a real listening server and
 * through inject: status, progress and metric events; resuming with
 * Last-Event-ID gives exactly the missed events; the stream ends once the job
 * is finished and everything was sent; closing the app ends open streams.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { writeMetrics, type MetricPointInput } from '../../src/db/repos/metrics.ts';
import { finishAttempt, recordProgress, requestCancel } from '../../src/db/repos/jobs.ts';
import { openSse } from '../../src/api/outputs/sse.ts';
import { formatEventId, parseEventId, START_CURSOR } from '../../src/api/outputs/job-events.ts';
import { parseSse, readSse, seedJob, tenantIdOf, type SseMessage } from './job-outputs-helpers.ts';

let t: TestApp;
let tenantId: string;
let base: string;

before(async () => {
  t = await createTestApp();
  tenantId = await tenantIdOf(t.db.prisma, 'default');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = t.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${addr.port}`;
});
after(async () => {
  await t?.close();
});

const points = (from: number, to: number, value: (s: number) => number = (s) => 1 / s): MetricPointInput[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ series: 'loss', step: from + i, epoch: 0, value: value(from + i), time: new Date() }));

type Point = { series: string; step: number; value: unknown };
interface Transition { from: string | null; to: string; reason: string | null }
interface StatusData { status: string; phase: string | null; attempt: number; transitions: Transition[] }
const metricSteps = (events: SseMessage[]): number[] =>
  events.filter((e) => e.event === 'metric').flatMap((e) => (e.data as { points: Point[] }).points.map((p) => p.step));

test('events: status, progress and metrics; Last-Event-ID resumes exactly; the stream ends when the job finishes', { timeout: 60_000 }, async () => {
  const job = await seedJob(t.db.prisma, tenantId);
  const url = `${base}/v1/jobs/${job.jobId}/events`;
  await writeMetrics(t.db.prisma, job.jobId, job.lease, points(1, 5, (s) => (s === 2 ? Number.NaN : s === 3 ? Number.POSITIVE_INFINITY : 1 / s)));
  const progress1 = { epoch: 0, epochs: 3, step: 5, steps: 30, samplesPerSecond: 100, etaSeconds: 2 };
  await recordProgress(t.db.prisma, job.jobId, job.lease, { phase: 'training', progress: progress1, leaseMs: 60_000 });

  // First connection: read until the five points, the progress and the status have arrived.
  const first = await readSse(url, t.auth, (ev) => metricSteps(ev).length >= 5 && ev.some((e) => e.event === 'progress') && ev.some((e) => e.event === 'status'));
  assert.equal(first.response.status, 200);
  assert.equal(first.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(first.response.headers.get('cache-control'), 'no-cache');
  assert.equal(first.response.headers.get('x-accel-buffering'), 'no');
  assert.equal(first.ended, false, 'a running job keeps its stream open');
  assert.match(first.raw, /^retry: 2000\n\n/);
  assert.deepEqual(metricSteps(first.events), [1, 2, 3, 4, 5]);
  const metric = first.events.find((e) => e.event === 'metric')!.data as { points: Point[] };
  assert.deepEqual(metric.points.map((p) => p.value), [1, 'NaN', 'Infinity', 1 / 4, 1 / 5]);
  assert.deepEqual(first.events.find((e) => e.event === 'progress')!.data, progress1);
  const status = first.events.find((e) => e.event === 'status')!.data as StatusData;
  assert.equal(status.status, 'running');
  assert.equal(status.phase, 'training');
  assert.equal(status.attempt, 1);
  assert.deepEqual(status.transitions.map((x: Transition) => [x.from, x.to]), [[null, 'queued'], ['queued', 'running']]);
  for (const e of first.events) assert.ok(e.id && parseEventId(e.id), `every event has an id: ${e.id}`);
  const lastId = first.events[first.events.length - 1].id!;

  // While disconnected: more points and new progress. Resuming gets exactly those.
  await writeMetrics(t.db.prisma, job.jobId, job.lease, points(6, 8));
  const progress2 = { ...progress1, step: 8, etaSeconds: 1 };
  await recordProgress(t.db.prisma, job.jobId, job.lease, { progress: progress2, leaseMs: 60_000 });
  const second = await readSse(url, { ...t.auth, 'last-event-id': lastId }, (ev) => metricSteps(ev).length >= 3 && ev.some((e) => e.event === 'progress'));
  assert.deepEqual(metricSteps(second.events), [6, 7, 8]);
  assert.deepEqual(second.events.filter((e) => e.event === 'progress').map((e) => e.data), [progress2]);
  assert.equal(second.events.filter((e) => e.event === 'status').length, 0, 'no status change was missed');

  // Resuming from an event in the middle of the first connection replays what followed it.
  const firstMetricId = first.events.find((e) => e.event === 'metric')!.id!;
  const mid = await readSse(url, { ...t.auth, 'last-event-id': firstMetricId }, (ev) => metricSteps(ev).length >= 3 && ev.some((e) => e.event === 'status'));
  assert.deepEqual(metricSteps(mid.events), [6, 7, 8]);
  assert.equal(mid.events.filter((e) => e.event === 'status').length, 1);

  // A live connection sees the end: last points, then the terminal status, then `end`, then the server closes.
  const lastOfSecond = second.events[second.events.length - 1].id!;
  const live = readSse(url, { ...t.auth, 'last-event-id': lastOfSecond });
  await new Promise((r) => setTimeout(r, 400));
  await writeMetrics(t.db.prisma, job.jobId, job.lease, points(9, 1200));
  await finishAttempt(t.db.prisma, job.jobId, job.lease, 'succeeded', { reason: 'done' });
  const third = await live;
  assert.equal(third.ended, true, 'the server ends the stream');
  assert.deepEqual(metricSteps(third.events), Array.from({ length: 1192 }, (_, i) => i + 9));
  assert.ok(third.events.filter((e) => e.event === 'metric').length >= 3, 'points come in batches');
  const kinds = third.events.map((e) => e.event);
  assert.deepEqual(kinds.slice(-2), ['status', 'end']);
  const final = third.events[third.events.length - 2].data as StatusData;
  assert.equal(final.status, 'succeeded');
  assert.deepEqual(final.transitions.map((x: Transition) => [x.from, x.to, x.reason]), [['running', 'succeeded', 'done']]);
  assert.deepEqual(third.events[third.events.length - 1].data, { status: 'succeeded' });
  const ids = third.events.map((e) => parseEventId(e.id!)!);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i].metric >= ids[i - 1].metric && ids[i].transition >= ids[i - 1].transition, 'ids only move forward');

  // Everything, from the start, through inject (the stream of a finished job ends by itself).
  const all = await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.jobId}/events`, headers: t.auth });
  assert.equal(all.statusCode, 200);
  assert.equal(all.headers['x-accel-buffering'], 'no');
  const everything = parseSse(all.body);
  assert.deepEqual(metricSteps(everything), Array.from({ length: 1200 }, (_, i) => i + 1));
  assert.deepEqual(everything.filter((e) => e.event === 'status').length, 1);
  assert.deepEqual((everything.find((e) => e.event === 'status')!.data as StatusData).transitions.map((x: Transition) => x.to), ['queued', 'running', 'succeeded']);
  assert.deepEqual(everything.filter((e) => e.event === 'progress').map((e) => e.data), [progress2]);
  // Resuming after the end gets only the end again.
  const afterEnd = await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.jobId}/events?lastEventId=${everything[everything.length - 1].id}`, headers: t.auth });
  assert.deepEqual(parseSse(afterEnd.body).map((e) => e.event), ['end']);
});

test('events: a queued job that is cancelled streams its status and ends', { timeout: 30_000 }, async () => {
  const job = await seedJob(t.db.prisma, tenantId, { start: false });
  const url = `${base}/v1/jobs/${job.jobId}/events`;
  const live = readSse(url, t.auth);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await requestCancel(t.db.prisma, tenantId, job.jobId), 'cancelled');
  const r = await live;
  assert.equal(r.ended, true);
  const statuses = r.events.filter((e) => e.event === 'status').map((e) => (e.data as StatusData).status);
  assert.deepEqual(statuses, ['queued', 'cancelled']);
  assert.equal(r.events[r.events.length - 1].event, 'end');
  assert.equal(r.events.filter((e) => e.event === 'progress').length, 0);
});

test('events: bad Last-Event-ID is a 400, unknown or foreign job a 404, no key a 401', async () => {
  const job = await seedJob(t.db.prisma, tenantId);
  const bad = await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.jobId}/events`, headers: { ...t.auth, 'last-event-id': 'nope' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().code, 'validation_failed');
  const other = await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.jobId}/events`, headers: { authorization: `Bearer ${await t.keyFor('other')}` } });
  assert.equal(other.statusCode, 404);
  assert.equal(other.json().code, 'not_found');
  assert.equal((await t.app.inject({ method: 'GET', url: `/v1/jobs/${job.jobId}/events` })).statusCode, 401);
  const r = await fetch(`${base}/v1/jobs/00000000-0000-4000-8000-000000000000/events`, { headers: t.auth });
  assert.equal(r.status, 404);
  assert.equal(((await r.json()) as { code: string }).code, 'not_found');
});

test('event ids round-trip', () => {
  assert.deepEqual(parseEventId(formatEventId(START_CURSOR)), START_CURSOR);
  const c = { metric: 9007199254740993n, transition: 12n, phase: '0a1b2c3d', progress: '0' };
  assert.equal(formatEventId(c), '9007199254740993.12.0a1b2c3d.0');
  assert.deepEqual(parseEventId(formatEventId(c)), c);
  for (const bad of ['', '1.2.3', '01.2.a.b', '1.2.xyz.0', '1.2.3.4.5', '-1.2.a.b']) assert.equal(parseEventId(bad), null, bad);
});

test('sse: heartbeats while idle, stop on client disconnect, and app.close() ends open streams', { timeout: 20_000 }, async () => {
  const app = Fastify();
  let disconnected = false;
  app.get('/sse', async (_request, reply) => {
    const s = openSse(reply, { heartbeatMs: 50 });
    await s.send({ event: 'hello', id: '1', data: { a: 'x\ny' } });
    await new Promise<void>((resolve) => s.signal.addEventListener('abort', () => resolve()));
    disconnected = true;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const ac = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/sse`, { signal: ac.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while ((text.match(/: keep-alive/g) ?? []).length < 2) text += (await reader.read()).value ?? '';
  assert.match(text, /event: hello\nid: 1\ndata: \{"a":"x\\ny"\}\n\n/);
  ac.abort();
  const t0 = Date.now();
  while (!disconnected && Date.now() - t0 < 5000) await new Promise((res2) => setTimeout(res2, 20));
  assert.ok(disconnected, 'the stream noticed the client left');
  await app.close();

  // The real route: app.close() with a stream open on a running job returns promptly.
  const t2 = await createTestApp();
  try {
    const tid = await tenantIdOf(t2.db.prisma, 'default');
    const job = await seedJob(t2.db.prisma, tid);
    await t2.app.listen({ port: 0, host: '127.0.0.1' });
    const { port: p2 } = t2.app.server.address() as { port: number };
    const open = readSse(`http://127.0.0.1:${p2}/v1/jobs/${job.jobId}/events`, t2.auth, undefined, 10_000);
    await new Promise((res2) => setTimeout(res2, 500));
    const c0 = Date.now();
    await t2.app.close();
    assert.ok(Date.now() - c0 < 3000, `close took ${Date.now() - c0} ms`);
    const r2 = await open;
    assert.equal(r2.ended, true);
    assert.equal(r2.events.filter((e) => e.event === 'status').length, 1);
  } finally {
    await t2.close();
  }
});
