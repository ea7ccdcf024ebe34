/**
 * Redis is a scheduler, Postgres the record: a Redis that loses everything
 * (killed without persistence) loses no accepted job. A job submitted while
 * Redis is down is still accepted. The reconciler puts every job Postgres
 * says should run back in the queue, and they run.
 * Postgres + Redis configuration only, on a private redis-server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { blobs, idxBytes } from '../helpers/datasets.ts';
import { freePort } from '../helpers/process.ts';
import { api, poll, serviceEnv, startRole, stop, uploadIdx } from '../helpers/service.ts';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const skip = !process.env.DATABASE_URL ? 'needs DATABASE_URL (the Postgres + Redis configuration)' : !haveRedis ? 'redis-server is not installed' : false;

async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await poll('redis', async () => (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG' ? true : undefined), 10_000);
  return p;
}

test('Redis loses its data: queued jobs still run, and a job submitted while it was down is not lost', { skip, timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ty-redis-'));
  const port = await freePort();
  let redis = await startRedis(port, dir);
  const s = await serviceEnv({ REDIS_URL: `redis://127.0.0.1:${port}` });
  const apiProc = await startRole(s, 'api');
  t.after(async () => {
    await stop(apiProc);
    redis.kill('SIGKILL');
    await s.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const { x, y } = blobs(200, 8, 3, 4);
  const datasetId = await uploadIdx(s, 'blobs', idxBytes('f32', [200, 8], x), idxBytes('u8', [200], y));
  const body = { datasetId, model: { inputShape: [8], layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dense', units: 3, activation: 'softmax' }] }, training: { loss: 'sparseCategoricalCrossentropy', epochs: 2 } };
  const queued = await api<{ id: string }>(s, 'POST', '/v1/jobs', body);
  assert.equal(queued.status, 201);

  // Redis dies without persistence: the queue entry is gone.
  redis.kill('SIGKILL');
  await once(redis, 'exit');
  const ready = await fetch(`${s.base}/readyz`);
  assert.equal(ready.status, 503, 'not ready without the queue');
  const readyBody = (await ready.json()) as { status: string; database: { ok: boolean }; queue: { ok: boolean } };
  assert.equal(readyBody.status, 'not_ready');
  assert.equal(readyBody.database.ok, true);
  assert.equal(readyBody.queue.ok, false);
  const whileDown = await api<{ id: string; status: string }>(s, 'POST', '/v1/jobs', body);
  assert.equal(whileDown.status, 201, 'accepted while the queue is down');
  assert.equal(whileDown.body.status, 'queued');

  redis = await startRedis(port, dir);
  await poll('ready again', async () => ((await fetch(`${s.base}/readyz`)).status === 200 ? true : undefined), 30_000);
  const worker = await startRole(s, 'worker');
  t.after(() => stop(worker));
  for (const id of [queued.body.id, whileDown.body.id]) {
    const done = await poll(`job ${id} to finish`, async () => {
      const j = (await api<{ status: string }>(s, 'GET', `/v1/jobs/${id}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    }, 120_000, 200);
    assert.equal(done.status, 'succeeded');
  }
  assert.match(worker.output(), /reconciler put jobs back in the queue/);
});
