/**
 * Jobs over HTTP with a real worker: submit, watch it run to the end, the
 * bad submissions refused before queueing, idempotent retries, listing,
 * cancelling (queued and running), tenancy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { mlpSpec, storeBlobs } from '../helpers/datasets.ts';
import { decodeSafetensors } from '../../src/engine/index.ts';

let t: TestApp;
let tenantId: string;
let datasetId: string;

before(async () => {
  t = await createTestApp({ withWorker: true, limits: { maxParams: 100_000 } });
  tenantId = (await t.db.prisma.tenant.findUniqueOrThrow({ where: { name: 'default' } })).id;
  datasetId = await storeBlobs(t.db.prisma, tenantId);
});
after(async () => {
  await t?.close();
});

const training = { optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], epochs: 3, batchSize: 16, validationSplit: 0.25, seed: 7 };

// A job as the API returns it; the tests read fields loosely.
type JobJson = { id: string; status: string; attempt: number; transitions: Array<{ to: string; reason: string | null }>; [k: string]: unknown } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function waitFor(id: string, statuses: string[], timeoutMs = 60_000): Promise<JobJson> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const r = await t.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: t.auth });
    const job = r.json();
    if (statuses.includes(job.status)) return job;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`job ${id} did not reach ${statuses.join('/')} in ${timeoutMs} ms`);
}

test('a job is queued, trains on a worker, and succeeds with its record complete', { timeout: 120_000 }, async () => {
  const r = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: t.auth, payload: { datasetId, model: mlpSpec(), training, name: 'blobs' } });
  assert.equal(r.statusCode, 201, r.body);
  const created = r.json();
  assert.equal(created.status, 'queued');
  assert.equal(created.training.seed, 7);
  assert.equal(created.training.checkpoints.bestMetric, 'val_loss');
  assert.equal(created.training.checkpoints.minIntervalSeconds, 10, 'the default is stored with the job');
  assert.equal(created.estimate.params, 8 * 16 + 16 + 16 * 3 + 3);

  const done = await waitFor(created.id, ['succeeded', 'failed']);
  assert.equal(done.status, 'succeeded', JSON.stringify(done.failure));
  assert.deepEqual(done.transitions.map((x) => x.to), ['queued', 'running', 'succeeded']);
  assert.equal(done.attempt, 1);
  assert.ok(done.startedAt && done.finishedAt && done.createdAt);
  const steps = 3 * Math.ceil(180 / 16);
  assert.equal(done.progress.step, steps);
  assert.equal(done.progress.epochs, 3);
  assert.equal(done.progress.steps, steps);
  assert.ok(done.progress.samplesPerSecond > 0);
  assert.ok(typeof done.latestMetrics.val_loss === 'number' && typeof done.latestMetrics.epoch_accuracy === 'number', JSON.stringify(done.latestMetrics));
  assert.ok(done.latestMetrics.val_accuracy > 0.9, `blobs are separable: val_accuracy ${done.latestMetrics.val_accuracy}`);

  // Every step's loss and every epoch's metrics are recorded, once each.
  const points = await t.db.prisma.metricPoint.findMany({ where: { jobId: created.id }, orderBy: { id: 'asc' } });
  const loss = points.filter((p) => p.series === 'loss').map((p) => p.step);
  assert.deepEqual(loss, Array.from({ length: steps }, (_, i) => i + 1));
  for (const s of ['epoch_loss', 'epoch_accuracy', 'val_loss', 'val_accuracy']) {
    assert.equal(points.filter((p) => p.series === s).length, 3, s);
  }
  // Checkpoints: the epochs kept by retention plus the final one, each with its sha256.
  const cks = await t.db.prisma.checkpoint.findMany({ where: { jobId: created.id }, orderBy: { step: 'asc' } });
  assert.ok(cks.some((c) => c.kind === 'final' && c.step === steps));
  assert.ok(cks.filter((c) => c.kind === 'epoch').length <= 3);
});

test('training.threads 2 with exactAcrossThreads gives the 1-thread job\'s weights file, tensor for tensor', { timeout: 180_000 }, async () => {
  const submit = async (extra: Record<string, unknown>): Promise<string> => {
    const r = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: t.auth, payload: { datasetId, model: mlpSpec(), training: { ...training, batchSize: 32, ...extra } } });
    assert.equal(r.statusCode, 201, r.body);
    return r.json().id;
  };
  const [one, exact] = [await submit({}), await submit({ threads: 2, exactAcrossThreads: true })];
  const weightsOf = async (id: string): Promise<Record<string, number[]>> => {
    const done = await waitFor(id, ['succeeded', 'failed'], 120_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.failure));
    const w = await t.app.inject({ method: 'GET', url: `/v1/jobs/${id}/weights`, headers: t.auth });
    assert.equal(w.statusCode, 200, w.body);
    return Object.fromEntries(Object.entries(decodeSafetensors(w.rawPayload).tensors).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
  };
  const a = await weightsOf(one);
  const job = (await t.app.inject({ method: 'GET', url: `/v1/jobs/${exact}`, headers: t.auth })).json();
  assert.equal(job.training.threads, 2);
  assert.equal(job.training.exactAcrossThreads, true);
  assert.deepEqual(await weightsOf(exact), a);
});

test('an Idempotency-Key makes a retried submission return the same job', async () => {
  const headers = { ...t.auth, 'idempotency-key': 'retry-me-1' };
  const a = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: { datasetId, model: mlpSpec(), training: { ...training, epochs: 1 } } });
  const b = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload: { datasetId, model: mlpSpec(), training: { ...training, epochs: 1 } } });
  assert.equal(a.statusCode, 201, a.body);
  assert.equal(b.statusCode, 201, b.body);
  assert.equal(a.json().id, b.json().id);
  assert.equal(b.headers['idempotent-replayed'], 'true');
  assert.equal(await t.db.prisma.job.count({ where: { idempotencyKey: 'retry-me-1' } }), 1);
  await waitFor(a.json().id, ['succeeded', 'failed']);
});

test('two submissions racing with one Idempotency-Key create one job', async () => {
  const headers = { ...t.auth, 'idempotency-key': 'race-1' };
  const payload = { datasetId, model: mlpSpec(), training: { ...training, epochs: 1 } };
  const [a, b] = await Promise.all([
    t.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload }),
    t.app.inject({ method: 'POST', url: '/v1/jobs', headers, payload }),
  ]);
  assert.equal(a.statusCode, 201, a.body);
  assert.equal(b.statusCode, 201, b.body);
  assert.equal(a.json().id, b.json().id);
  assert.equal(await t.db.prisma.job.count({ where: { idempotencyKey: 'race-1' } }), 1);
  await waitFor(a.json().id, ['succeeded', 'failed']);
});

test('what cannot run is refused with 422 before it is queued, naming the reason', async () => {
  const before = await t.db.prisma.job.count();
  const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
    ['unknown data set', { datasetId: '00000000-0000-4000-8000-000000000000', model: mlpSpec(), training }, 422, /datasetId: no data set/],
    ['input shape', { datasetId, model: mlpSpec(10), training }, 422, /model\.inputShape \[10\] does not match the data set's sample shape \[8\]/],
    ['bad layer', { datasetId, model: { inputShape: [8], layers: [{ type: 'dense', units: -3 }] }, training }, 422, /layers\[0\]\.units/],
    ['unknown loss', { datasetId, model: mlpSpec(), training: { ...training, loss: 'hinge' } }, 422, /training\.loss: unknown loss "hinge"/],
    ['labels vs output', { datasetId, model: mlpSpec(8, 2), training }, 422, /outputs 2 classes but the data set's labels go up to 2/],
    ['bad optimizer', { datasetId, model: mlpSpec(), training: { ...training, optimizer: { type: 'adam', learningRate: -1 } } }, 422, /optimizer\.learningRate/],
    ['too many params', { datasetId, model: { inputShape: [8], layers: [{ type: 'dense', units: 20_000 }, { type: 'dense', units: 3, activation: 'softmax' }] }, training }, 422, /parameters; this tenant's limit is 100000/],
    ['model and modelId', { datasetId, model: mlpSpec(), modelId: '00000000-0000-4000-8000-000000000000', training }, 400, /exactly one of "model"/],
    ['unknown field', { datasetId, model: mlpSpec(), training: { ...training, epochz: 3 } }, 400, /additional properties|epochz/],
    ['augment on non-images', { datasetId, model: mlpSpec(), training: { ...training, augment: { flipHorizontal: true } } }, 422, /training\.augment: needs image inputs/],
    ['bad augment field', { datasetId, model: mlpSpec(), training: { ...training, augment: { spin: 3 } } }, 422, /training\.augment/],
    ['exactAcrossThreads with dropout', { datasetId, model: { inputShape: [8], layers: [{ type: 'dense', units: 8, activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 3, activation: 'softmax' }] }, training: { ...training, threads: 2, exactAcrossThreads: true } }, 422, /training\.exactAcrossThreads: layers\[1\] dropout: only dense layers/],
    ['exactAcrossThreads with clipnorm', { datasetId, model: mlpSpec(), training: { ...training, optimizer: { type: 'adam', learningRate: 0.01, clipnorm: 1 }, threads: 2, exactAcrossThreads: true } }, 422, /training\.exactAcrossThreads: the optimizer's clipnorm/],
    ['threads with batch norm', { datasetId, model: { inputShape: [8], layers: [{ type: 'batchNormalization' }, { type: 'dense', units: 3, activation: 'softmax' }] }, training: { ...training, threads: 2 } }, 422, /training\.threads: 2 threads cannot train .*layers\[0\] batchNormalization/],
    ['epochs missing', { datasetId, model: mlpSpec(), training: { loss: 'mse' } }, 400, /epochs/],
    ['negative checkpoint interval', { datasetId, model: mlpSpec(), training: { loss: 'mse', epochs: 1, checkpoints: { minIntervalSeconds: -1 } } }, 400, /checkpoints\/minIntervalSeconds/],
    ['lossEverySteps 0', { datasetId, model: mlpSpec(), training: { loss: 'mse', epochs: 1, lossEverySteps: 0 } }, 400, /lossEverySteps/],
  ];
  for (const [what, payload, status, message] of cases) {
    const r = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: t.auth, payload });
    assert.equal(r.statusCode, status, `${what}: ${r.body}`);
    assert.match(r.json().message, message, what);
    assert.equal(r.json().statusCode, status);
  }
  const huge = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: { ...t.auth, 'content-type': 'application/json' }, payload: `{"datasetId":"${datasetId}","model":${JSON.stringify(mlpSpec())},"training":{"loss":"mse","epochs":1e400}}` });
  assert.equal(huge.statusCode, 400, huge.body);
  assert.equal(await t.db.prisma.job.count(), before, 'nothing was queued');
});

test('list filters by status and pages with a cursor; another tenant sees nothing', async () => {
  const all = await t.app.inject({ method: 'GET', url: '/v1/jobs?limit=1', headers: t.auth });
  assert.equal(all.statusCode, 200, all.body);
  const first = all.json();
  assert.equal(first.jobs.length, 1);
  assert.ok(first.next);
  const second = await t.app.inject({ method: 'GET', url: `/v1/jobs?limit=1&after=${first.next}`, headers: t.auth });
  assert.notEqual(second.json().jobs[0].id, first.jobs[0].id);
  const ok = await t.app.inject({ method: 'GET', url: '/v1/jobs?status=succeeded', headers: t.auth });
  assert.ok(ok.json().jobs.every((j: { status: string }) => j.status === 'succeeded'));
  assert.equal((await t.app.inject({ method: 'GET', url: '/v1/jobs?status=done', headers: t.auth })).statusCode, 400);

  const other = { authorization: `Bearer ${await t.keyFor('other')}` };
  assert.deepEqual((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: other })).json().jobs, []);
  const r = await t.app.inject({ method: 'GET', url: `/v1/jobs/${first.jobs[0].id}`, headers: other });
  assert.equal(r.statusCode, 404);
  assert.equal((await t.app.inject({ method: 'POST', url: `/v1/jobs/${first.jobs[0].id}/cancel`, headers: other })).statusCode, 404);
});

test('a running job is cancelled within a few steps and keeps its checkpoints; a finished one answers 409', { timeout: 120_000 }, async () => {
  const r = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: t.auth, payload: { datasetId, model: mlpSpec(), training: { ...training, epochs: 5000, validationSplit: 0, checkpoints: { minIntervalSeconds: 0 } } } });
  const id = r.json().id;
  // Wait until it has trained past its first epoch checkpoint.
  const t0 = Date.now();
  while ((await t.db.prisma.checkpoint.count({ where: { jobId: id } })) === 0) {
    assert.ok(Date.now() - t0 < 60_000, 'no checkpoint in time');
    await new Promise((res) => setTimeout(res, 50));
  }
  const c = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: t.auth });
  assert.equal(c.statusCode, 202, c.body);
  const done = await waitFor(id, ['cancelled', 'succeeded', 'failed']);
  assert.equal(done.status, 'cancelled');
  const stop = await t.db.prisma.checkpoint.findFirst({ where: { jobId: id, kind: 'stop' } });
  assert.ok(stop, 'a stop checkpoint was committed');
  assert.match(String(done.transitions.at(-1)?.reason), new RegExp(`cancelled at step ${stop.step}$`));
  // How quickly a stop request takes effect inside the training thread is tested in tests/workers/train-task.test.ts.
  assert.ok((await t.db.prisma.checkpoint.count({ where: { jobId: id, kind: 'epoch' } })) >= 1, 'epoch checkpoints kept');
  const again = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: t.auth });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().code, 'conflict');
});
