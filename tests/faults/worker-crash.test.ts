/**
 * Faults, with real processes: a worker killed mid-job (the job resumes from
 * its latest checkpoint, ends with the same weights as an uninterrupted run,
 * and its metric series has no gaps or duplicates), a job that keeps killing
 * its worker (fails after maxAttempts), and SIGTERM (the worker checkpoints
 * the running job and puts it back in the queue).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors } from '../../src/engine/index.ts';
import { blobs, idxBytes } from '../helpers/datasets.ts';
import { api, poll, serviceEnv, startRole, stop, uploadIdx, type ServiceEnv } from '../helpers/service.ts';
import type { RunningProcess } from '../helpers/process.ts';

type Job = { id: string; status: string; attempt: number; failure: { code: string; reason: string } | null; transitions: Array<{ to: string; reason: string }> };
type Metrics = { points: Array<{ series: string; step: number }>; next: string | null };
type Checkpoints = { checkpoints: Array<{ kind: string; step: number; attempt: number }> };

let s: ServiceEnv;
let datasetId: string;
const procs: RunningProcess[] = [];

// Big enough that an epoch takes a noticeable moment, small enough for CI.
const spec = { inputShape: [8], layers: [{ type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] };
const training = (epochs: number, extra: Record<string, unknown> = {}) => ({ loss: 'sparseCategoricalCrossentropy', optimizer: { type: 'adam', learningRate: 0.001 }, epochs, batchSize: 8, seed: 11, checkpoints: { keepLast: 2, minIntervalSeconds: 0 }, ...extra });

/** `all` when embedded (one process holds the database), else a worker beside a long-lived API. */
async function startWorker(): Promise<RunningProcess> {
  const p = await startRole(s, s.embedded ? 'all' : 'worker');
  procs.push(p);
  workers.push(p);
  return p;
}
const workers: RunningProcess[] = [];

/** A failed test must not leave its worker holding the embedded database for the next one. */
async function stopWorkers(): Promise<void> {
  for (const w of workers.splice(0)) await stop(w);
}

before(async () => {
  s = await serviceEnv();
  if (!s.embedded) procs.push(await startRole(s, 'api'));
  const w = await startWorker();
  const { x, y } = blobs(400, 8, 3, 9);
  await poll('the API', async () => ((await fetch(`${s.base}/readyz`)).ok ? true : undefined), 60_000);
  datasetId = await uploadIdx(s, 'blobs', idxBytes('f32', [400, 8], x), idxBytes('u8', [400], y));
  await stop(w, 'SIGTERM');
});

after(async () => {
  for (const p of procs) await stop(p);
  await s?.cleanup();
});

async function job(id: string): Promise<Job> {
  return (await api<Job>(s, 'GET', `/v1/jobs/${id}`)).body;
}

async function submit(body: Record<string, unknown>): Promise<string> {
  const r = await api<Job>(s, 'POST', '/v1/jobs', body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id;
}

async function checkpoints(id: string): Promise<Checkpoints['checkpoints']> {
  return (await api<Checkpoints>(s, 'GET', `/v1/jobs/${id}/checkpoints`)).body.checkpoints;
}

async function lossSteps(id: string): Promise<number[]> {
  const steps: number[] = [];
  let after: string | null = '';
  while (after !== null) {
    const r: { body: Metrics } = await api<Metrics>(s, 'GET', `/v1/jobs/${id}/metrics?series=loss&limit=10000${after ? `&after=${after}` : ''}`);
    steps.push(...r.body.points.map((p) => p.step));
    after = r.body.next;
  }
  return steps;
}

async function weights(id: string): Promise<Record<string, number[]>> {
  const r = await fetch(`${s.base}/v1/jobs/${id}/weights?format=safetensors&checkpoint=latest`, { headers: s.auth });
  assert.equal(r.status, 200);
  const { tensors } = decodeSafetensors(new Uint8Array(await r.arrayBuffer()));
  return Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

async function waitStatus(id: string, statuses: string[], timeoutMs = 180_000): Promise<Job> {
  return poll(`job ${id} to be ${statuses.join('/')}`, async () => {
    const j = await job(id);
    return statuses.includes(j.status) ? j : undefined;
  }, timeoutMs, 200);
}

test('a worker killed mid-job: the job resumes from its checkpoint and ends as if nothing happened', { timeout: 600_000 }, async (t) => {
  t.after(stopWorkers);
  const epochs = 60;
  let w = await startWorker();
  const id = await submit({ datasetId, model: spec, training: training(epochs) });
  // Kill it once a checkpoint is committed and training has gone on past it.
  await poll('a committed epoch checkpoint', async () => ((await checkpoints(id)).some((c) => c.kind === 'epoch') ? true : undefined), 180_000);
  const killed = await stop(w, 'SIGKILL');
  t.diagnostic(`killed (${killed}, ${w.child.signalCode}) with checkpoints ${(await checkpoints(id).catch(() => [])).map((c) => `${c.kind}@${c.step}`).join(', ')}`);
  w = await startWorker();
  const done = await waitStatus(id, ['succeeded', 'failed']);
  assert.equal(done.status, 'succeeded', JSON.stringify(done.failure));
  assert.equal(done.attempt, 2, `the kill came before the end, and one more attempt finished the job: ${JSON.stringify(done.transitions)} ${JSON.stringify(await checkpoints(id))}`);
  assert.match(done.transitions.map((x) => x.reason).join(' | '), /resumed after the previous attempt ended without finishing/);

  const steps = await lossSteps(id);
  const total = epochs * Math.ceil(400 / 8);
  assert.deepEqual(steps, Array.from({ length: total }, (_, i) => i + 1), 'every step once, none missing');

  // The same job, never interrupted.
  const straight = await submit({ datasetId, model: spec, training: training(epochs) });
  const ok = await waitStatus(straight, ['succeeded', 'failed']);
  assert.equal(ok.status, 'succeeded');
  assert.deepEqual(await weights(id), await weights(straight), 'bit-identical final weights');
  await stop(w, 'SIGTERM');
});

test('a job that keeps killing its worker fails after maxAttempts', { timeout: 600_000 }, async (t) => {
  t.after(stopWorkers);
  let id = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    const w = await startWorker();
    if (attempt === 1) id = await submit({ datasetId, model: spec, training: training(200, { maxAttempts: 2 }) });
    await poll(`attempt ${attempt} running`, async () => {
      const j = await job(id);
      return j.status === 'running' && j.attempt === attempt ? true : undefined;
    }, 180_000);
    await stop(w, 'SIGKILL');
  }
  const w = await startWorker();
  const done = await waitStatus(id, ['failed', 'succeeded']);
  assert.equal(done.status, 'failed');
  assert.equal(done.failure?.code, 'too_many_attempts');
  assert.match(done.failure?.reason ?? '', /gave up after 2 attempts/);
  await stop(w, 'SIGTERM');
});

test('SIGTERM: the worker checkpoints the running job, puts it back in the queue, and exits in time', { timeout: 600_000 }, async (t) => {
  t.after(stopWorkers);
  const w = await startWorker();
  const id = await submit({ datasetId, model: spec, training: training(1000, { checkpoints: { keepLast: 100, minIntervalSeconds: 0 } }) });
  await poll('the job running', async () => ((await job(id)).status === 'running' ? true : undefined), 180_000);
  await new Promise((r) => setTimeout(r, 500));
  const t0 = Date.now();
  const code = await stop(w, 'SIGTERM');
  t.diagnostic(`worker exited ${Date.now() - t0} ms after SIGTERM`);
  assert.equal(code, 0, w.output().slice(-2000));
  // Embedded: the API went down with the worker; bring the service back (its worker takes the job again).
  const w2 = await startWorker();
  const j = await job(id);
  const requeued = j.transitions.findIndex((x) => /shut down at step \d+/.test(x.reason ?? ''));
  assert.ok(requeued > 0 && j.transitions[requeued].to === 'queued', `back in the queue: ${JSON.stringify(j.transitions)}`);
  const stoppedAt = Number(/shut down at step (\d+)/.exec(j.transitions[requeued].reason)![1]);
  const stopCk = (await checkpoints(id)).find((c) => c.kind === 'stop');
  assert.ok(stopCk, 'a stop checkpoint was committed');
  assert.equal(stopCk.step, stoppedAt);

  // Cancel it rather than train 40 epochs: what matters is that it resumes; check it gets going again.
  await poll('the job running again', async () => {
    const x = await job(id);
    return x.status === 'running' && x.attempt === 2 ? true : undefined;
  }, 180_000);
  const steps = await poll('a step after the stop checkpoint', async () => {
    const st = await lossSteps(id);
    return st.at(-1)! > stopCk.step ? st : undefined;
  }, 60_000);
  assert.deepEqual(steps, Array.from({ length: steps.length }, (_, i) => i + 1), 'no gap or duplicate across the restart');
  // It resumed from the stop checkpoint, not from scratch: its first checkpoint is past the stop.
  const second = await poll('a checkpoint of the second attempt', async () => (await checkpoints(id)).find((c) => c.attempt === 2), 60_000);
  assert.ok(second.step > stoppedAt, `attempt 2 checkpointed at step ${second.step}, after the stop at ${stoppedAt}`);
  assert.equal((await api(s, 'POST', `/v1/jobs/${id}/cancel`)).status, 202);
  await waitStatus(id, ['cancelled']);
  await stop(w2, 'SIGTERM');
});
