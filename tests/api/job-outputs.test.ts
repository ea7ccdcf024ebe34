/**
 * A job's outputs over HTTP: metrics (cursor paging while points are appended,
 * downsampling, non-finite values), checkpoints, weights downloads
 * (safetensors and JSON, ETag / If-None-Match) and predictions, against job
 * rows and real engine checkpoints written straight to the database.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { writeMetrics, type MetricPointInput } from '../../src/db/repos/metrics.ts';
import { commitCheckpoint, findCheckpoint } from '../../src/db/repos/checkpoints.ts';
import { decodeSafetensors, Sequential } from '../../src/engine/index.ts';
import { SPEC, TRAINING, commitTrainedCheckpoint, seedJob, tenantIdOf, trainingModel, type SeededJob } from './job-outputs-helpers.ts';

let t: TestApp;
let tenantId: string;
let otherAuth: { authorization: string };

before(async () => {
  t = await createTestApp();
  tenantId = await tenantIdOf(t.db.prisma, 'default');
  otherAuth = { authorization: `Bearer ${await t.keyFor('other')}` };
});
after(async () => {
  await t?.close();
});

const get = (url: string, headers: Record<string, string> = t.auth) => t.app.inject({ method: 'GET', url, headers });

function lossPoints(from: number, to: number, value: (step: number) => number = (s) => 1 / s): MetricPointInput[] {
  const out: MetricPointInput[] = [];
  for (let s = from; s <= to; s++) out.push({ series: 'loss', step: s, epoch: Math.floor((s - 1) / 10), value: value(s), time: new Date(1_700_000_000_000 + s * 1000) });
  return out;
}

test('metrics page by cursor, stay stable while points are appended, and report non-finite values as strings', async () => {
  const job = await seedJob(t.db.prisma, tenantId);
  const special: Record<number, number> = { 3: Number.NaN, 4: Number.POSITIVE_INFINITY, 5: Number.NEGATIVE_INFINITY };
  await writeMetrics(t.db.prisma, job.jobId, job.lease, lossPoints(1, 25, (s) => special[s] ?? 1 / s));
  await writeMetrics(t.db.prisma, job.jobId, job.lease, [
    { series: 'val_accuracy', step: 10, epoch: 0, value: 0.5, time: new Date() },
    { series: 'epoch_loss', step: 10, epoch: 0, value: Number.NaN, time: new Date() },
  ]);

  const seen: Array<{ series: string; step: number; value: unknown }> = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const r = await get(`/v1/jobs/${job.jobId}/metrics?limit=10${after ? `&after=${after}` : ''}`);
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.ok(body.points.length <= 10);
    seen.push(...body.points);
    after = body.next;
    if (body.next !== null) assert.equal(body.next, body.cursor);
    pages++;
    // Between the first pages the job keeps writing: the new points come after the cursor.
    if (pages === 1) await writeMetrics(t.db.prisma, job.jobId, job.lease, lossPoints(26, 30));
    if (pages === 2) await writeMetrics(t.db.prisma, job.jobId, job.lease, lossPoints(31, 33));
  } while (after !== null);

  const loss = seen.filter((p) => p.series === 'loss');
  assert.deepEqual(loss.map((p) => p.step), Array.from({ length: 33 }, (_, i) => i + 1), 'every loss point exactly once, in order');
  assert.equal(seen.length, 35);
  assert.equal(loss[2].value, 'NaN');
  assert.equal(loss[3].value, 'Infinity');
  assert.equal(loss[4].value, '-Infinity');
  assert.equal(loss[0].value, 1);
  assert.equal(loss[9].value, 1 / 10);
  assert.equal(seen.find((p) => p.series === 'epoch_loss')?.value, 'NaN');
  const first = seen[0] as Record<string, unknown>;
  assert.deepEqual(Object.keys(first).sort(), ['epoch', 'series', 'step', 'time', 'value']);
  assert.equal(first.time, new Date(1_700_000_001_000).toISOString());

  // The last page's cursor picks up exactly what is written later.
  const end = (await get(`/v1/jobs/${job.jobId}/metrics?limit=1000`)).json();
  assert.equal(end.next, null);
  await writeMetrics(t.db.prisma, job.jobId, job.lease, lossPoints(34, 36));
  const tail = (await get(`/v1/jobs/${job.jobId}/metrics?after=${end.cursor}`)).json();
  assert.deepEqual(tail.points.map((p: { step: number }) => p.step), [34, 35, 36]);
  const none = (await get(`/v1/jobs/${job.jobId}/metrics?after=${tail.cursor}`)).json();
  assert.deepEqual(none, { points: [], next: null, cursor: tail.cursor });

  // Series filter.
  const some = (await get(`/v1/jobs/${job.jobId}/metrics?series=val_accuracy,epoch_loss`)).json();
  assert.deepEqual(some.points.map((p: { series: string }) => p.series).sort(), ['epoch_loss', 'val_accuracy']);
});

test('metrics downsample per series, keeping the first and the last point', async () => {
  const job = await seedJob(t.db.prisma, tenantId);
  await writeMetrics(t.db.prisma, job.jobId, job.lease, lossPoints(1, 1000, (s) => (s === 1000 ? Number.POSITIVE_INFINITY : s)));
  await writeMetrics(t.db.prisma, job.jobId, job.lease, Array.from({ length: 7 }, (_, i) => ({ series: 'val_loss', step: (i + 1) * 100, epoch: i, value: i, time: new Date() })));
  for (const n of [2, 3, 10, 333]) {
    const r = await get(`/v1/jobs/${job.jobId}/metrics?maxPoints=${n}`);
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.equal(body.next, null);
    assert.equal(body.cursor, null);
    const loss = body.points.filter((p: { series: string }) => p.series === 'loss');
    const val = body.points.filter((p: { series: string }) => p.series === 'val_loss');
    assert.ok(loss.length <= n && loss.length >= Math.min(n, 2), `loss: ${loss.length} points for maxPoints=${n}`);
    assert.equal(loss[0].step, 1);
    assert.equal(loss[loss.length - 1].step, 1000);
    assert.equal(loss[loss.length - 1].value, 'Infinity');
    assert.equal(val.length, Math.min(n, 7));
    assert.equal(val[0].step, 100);
    assert.equal(val[val.length - 1].step, 700);
  }
  const only = (await get(`/v1/jobs/${job.jobId}/metrics?maxPoints=5&series=val_loss`)).json();
  assert.ok(only.points.every((p: { series: string }) => p.series === 'val_loss'));
  assert.equal(only.points.length, 5);
});

test('metrics query parameters are validated with 400s, and jobs are scoped to the tenant', async () => {
  const job = await seedJob(t.db.prisma, tenantId);
  const base = `/v1/jobs/${job.jobId}/metrics`;
  for (const q of ['limit=0', 'limit=10001', 'limit=abc', 'series=bad%20name', 'series=loss,,x', 'maxPoints=1', 'after=garbage', 'after=bTEyMw%3D%3D', 'unknown=1']) {
    const r = await get(`${base}?${q}`);
    assert.equal(r.statusCode, 400, `${q}: ${r.body}`);
    assert.equal(r.json().code, 'validation_failed', q);
  }
  const both = await get(`${base}?maxPoints=10&after=bTEy`);
  assert.equal(both.statusCode, 400);
  assert.match(both.json().message, /maxPoints/);
  assert.equal((await get(`${base}?limit=10000`)).statusCode, 200);
  assert.equal((await get('/v1/jobs/not-a-uuid/metrics')).statusCode, 400);
  const missing = await get('/v1/jobs/00000000-0000-4000-8000-000000000000/metrics');
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'not_found');
  for (const path of ['metrics', 'checkpoints', 'weights', 'events']) {
    const r = await get(`/v1/jobs/${job.jobId}/${path}`, otherAuth);
    assert.equal(r.statusCode, 404, `${path}: ${r.body}`);
  }
  const p = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.jobId}/predict`, headers: otherAuth, payload: { inputs: [1, 2, 3, 4] } });
  assert.equal(p.statusCode, 404);
  assert.equal((await get(`${base}`, {})).statusCode, 401);
});

let trained: { job: SeededJob; checkpoints: Array<{ id: string; bytes: Uint8Array; step: number; epoch: number }> } | undefined;

/** One job with three real checkpoints: val_loss 0.9, 0.5 (the best), 0.7 (the latest). */
async function trainedJob() {
  if (trained) return trained;
  const job = await seedJob(t.db.prisma, tenantId);
  const model = trainingModel();
  const checkpoints = [];
  for (const [i, v] of [0.9, 0.5, 0.7].entries()) {
    const c = await commitTrainedCheckpoint(t.db.prisma, job, model, { epoch: i + 1, step: (i + 1) * 8, metrics: { loss: 1 - i / 10, val_loss: v } });
    checkpoints.push({ id: c.info.id, bytes: c.bytes, step: c.info.step, epoch: c.info.epoch });
  }
  trained = { job, checkpoints };
  return trained;
}

test('checkpoints are listed with the latest and the best marked', async () => {
  const { job, checkpoints } = await trainedJob();
  const r = await get(`/v1/jobs/${job.jobId}/checkpoints`);
  assert.equal(r.statusCode, 200, r.body);
  const body = r.json();
  assert.equal(body.checkpoints.length, 3);
  assert.deepEqual(body.checkpoints.map((c: { id: string }) => c.id), checkpoints.map((c) => c.id));
  assert.equal(body.latest, checkpoints[2].id);
  assert.equal(body.best, checkpoints[1].id);
  assert.deepEqual(body.bestMetric, { metric: 'val_loss', mode: 'min' });
  assert.deepEqual(body.checkpoints.map((c: { latest: boolean; best: boolean }) => [c.latest, c.best]), [[false, false], [false, true], [true, false]]);
  const c0 = body.checkpoints[0];
  assert.equal(c0.kind, 'epoch');
  assert.equal(c0.size, checkpoints[0].bytes.byteLength);
  assert.equal(c0.sha256, createHash('sha256').update(checkpoints[0].bytes).digest('hex'));
  assert.deepEqual(c0.metrics, { loss: 1, val_loss: 0.9 });
  assert.equal(c0.epoch, 1);
  assert.equal(c0.step, 8);
  assert.ok(!Number.isNaN(Date.parse(c0.createdAt)));
  // The route reports what the repository would load.
  for (const which of ['latest', 'best'] as const) {
    const repo = await findCheckpoint(t.db.prisma, job.jobId, which, { metric: 'val_loss', mode: 'min' });
    assert.equal(repo?.id, body[which]);
  }
  const empty = await seedJob(t.db.prisma, tenantId);
  assert.deepEqual((await get(`/v1/jobs/${empty.jobId}/checkpoints`)).json(), { checkpoints: [], latest: null, best: null, bestMetric: { metric: 'val_loss', mode: 'min' } });
});

function expectedWeights(checkpoint: Uint8Array): Sequential {
  const m = Sequential.fromSpec(SPEC, { seed: 99 });
  m.loadWeights(checkpoint);
  return m;
}

test('weights download as safetensors holding exactly the model tensors, with a sha256 ETag and 304', async () => {
  const { job, checkpoints } = await trainedJob();
  const r = await get(`/v1/jobs/${job.jobId}/weights`);
  assert.equal(r.statusCode, 200, r.body);
  const body = r.rawPayload;
  assert.equal(r.headers['content-type'], 'application/octet-stream');
  assert.equal(Number(r.headers['content-length']), body.byteLength);
  assert.equal(r.headers.etag, `"${createHash('sha256').update(body).digest('hex')}"`);
  assert.match(String(r.headers['content-disposition']), /^attachment; filename="trainyard-[0-9a-f-]+-step24\.safetensors"$/);
  assert.equal(r.headers['x-trainyard-checkpoint'], checkpoints[2].id);

  const { tensors, metadata } = decodeSafetensors(new Uint8Array(body));
  const model = expectedWeights(checkpoints[2].bytes);
  const want = [...model.params, ...model.buffers];
  assert.deepEqual(Object.keys(tensors).sort(), want.map((p) => p.name).sort());
  assert.deepEqual(Object.keys(tensors).sort(), ['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight']);
  for (const p of want) {
    assert.equal(tensors[p.name].dtype, 'F32');
    assert.deepEqual(tensors[p.name].shape, [...p.shape]);
    assert.deepEqual(Array.from(tensors[p.name].data as Float32Array), Array.from(p.value), p.name);
  }
  assert.deepEqual(tensors['layers.0.weight'].shape, [8, 4]);
  assert.deepEqual(metadata, { format: 'pt', job_id: job.jobId, checkpoint_id: checkpoints[2].id, epoch: '3', step: '24' });
  // The engine loads the download as plain weights.
  Sequential.fromSpec(SPEC, { seed: 1 }).loadWeights(new Uint8Array(body));

  const again = await get(`/v1/jobs/${job.jobId}/weights?format=safetensors&checkpoint=latest`);
  assert.equal(again.headers.etag, r.headers.etag, 'the same bytes every time');
  const notModified = await get(`/v1/jobs/${job.jobId}/weights`, { ...t.auth, 'if-none-match': String(r.headers.etag) });
  assert.equal(notModified.statusCode, 304);
  assert.equal(notModified.body, '');
  assert.equal(notModified.headers.etag, r.headers.etag);
  const listed = await get(`/v1/jobs/${job.jobId}/weights`, { ...t.auth, 'if-none-match': `"abc", W/${String(r.headers.etag)}` });
  assert.equal(listed.statusCode, 304);
  const other = await get(`/v1/jobs/${job.jobId}/weights`, { ...t.auth, 'if-none-match': '"abc"' });
  assert.equal(other.statusCode, 200);

  // best, and by id
  const best = await get(`/v1/jobs/${job.jobId}/weights?checkpoint=best`);
  assert.equal(best.headers['x-trainyard-checkpoint'], checkpoints[1].id);
  assert.notEqual(best.headers.etag, r.headers.etag);
  const byId = await get(`/v1/jobs/${job.jobId}/weights?checkpoint=${checkpoints[0].id}`);
  assert.equal(byId.statusCode, 200);
  assert.equal(decodeSafetensors(new Uint8Array(byId.rawPayload)).metadata.step, '8');
  const stale = await get(`/v1/jobs/${job.jobId}/weights`, { ...t.auth, 'if-none-match': String(best.headers.etag) });
  assert.equal(stale.statusCode, 200, 'the latest weights are not the best ones');
});

test('weights download as JSON', async () => {
  const { job, checkpoints } = await trainedJob();
  const r = await get(`/v1/jobs/${job.jobId}/weights?format=json&checkpoint=best`);
  assert.equal(r.statusCode, 200, r.body);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assert.equal(r.headers.etag, `"${createHash('sha256').update(r.rawPayload).digest('hex')}"`);
  assert.match(String(r.headers['content-disposition']), /step16\.json"$/);
  const body = r.json();
  const model = expectedWeights(checkpoints[1].bytes);
  assert.deepEqual(Object.keys(body.tensors), ['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight']);
  for (const p of model.params) {
    assert.deepEqual(body.tensors[p.name].shape, [...p.shape]);
    assert.deepEqual(body.tensors[p.name].data, Array.from(p.value));
  }
  assert.equal(body.metadata.checkpoint_id, checkpoints[1].id);
  const nm = await get(`/v1/jobs/${job.jobId}/weights?format=json&checkpoint=best`, { ...t.auth, 'if-none-match': String(r.headers.etag) });
  assert.equal(nm.statusCode, 304);
});

test('weights and predictions are 404 before the first checkpoint, and for an unknown checkpoint', async () => {
  const job = await seedJob(t.db.prisma, tenantId);
  const r = await get(`/v1/jobs/${job.jobId}/weights`);
  assert.equal(r.statusCode, 404);
  assert.equal(r.json().code, 'not_found');
  assert.match(r.json().message, /no checkpoint yet/);
  const p = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.jobId}/predict`, headers: t.auth, payload: { inputs: [1, 2, 3, 4] } });
  assert.equal(p.statusCode, 404);
  assert.match(p.json().message, /no checkpoint yet/);
  const { job: tj } = await trainedJob();
  const u = await get(`/v1/jobs/${tj.jobId}/weights?checkpoint=00000000-0000-4000-8000-000000000000`);
  assert.equal(u.statusCode, 404);
  assert.equal((await get(`/v1/jobs/${tj.jobId}/weights?checkpoint=newest`)).statusCode, 400);
  assert.equal((await get(`/v1/jobs/${tj.jobId}/weights?format=onnx`)).statusCode, 400);
});

test("predictions equal the engine's forward pass on the downloaded weights", async () => {
  const { job, checkpoints } = await trainedJob();
  const post = (payload: unknown, headers = t.auth) => t.app.inject({ method: 'POST', url: `/v1/jobs/${job.jobId}/predict`, headers, payload: payload as object });
  const weights = new Uint8Array((await get(`/v1/jobs/${job.jobId}/weights`)).rawPayload);
  const reference = Sequential.fromSpec(SPEC, { seed: 7 });
  reference.loadWeights(weights);
  const batch = [[0.9, -0.2, 0.1, 0.3], [-0.5, 0.8, 0.2, 0], [0.1, 0.2, 0.95, -1], [0, 0, 0, 0]];
  const want = reference.predict(batch);

  const r = await post({ inputs: batch });
  assert.equal(r.statusCode, 200, r.body);
  const body = r.json();
  assert.deepEqual(body.checkpoint, { id: checkpoints[2].id, epoch: 3, step: 24 });
  assert.deepEqual(body.outputs.flat(), Array.from(want.data));
  assert.equal(body.outputs.length, 4);
  assert.equal(body.outputs[0].length, 3);
  const argmax = (row: number[]) => row.indexOf(Math.max(...row));
  assert.deepEqual(body.classes, body.outputs.map(argmax));
  assert.deepEqual(body.classes.slice(0, 3), [0, 1, 2], 'the model learned the toy problem');

  // One sample: unbatched outputs; cached model gives the same answer.
  const one = (await post({ inputs: batch[1] })).json();
  assert.deepEqual(one.outputs, body.outputs[1]);
  assert.equal(one.classes, body.classes[1]);

  // Another checkpoint gives the engine's answer with its weights.
  const best = (await post({ inputs: batch, checkpoint: 'best' })).json();
  const ref2 = Sequential.fromSpec(SPEC, { seed: 7 });
  ref2.loadWeights(new Uint8Array((await get(`/v1/jobs/${job.jobId}/weights?checkpoint=best`)).rawPayload));
  assert.deepEqual(best.outputs.flat(), Array.from(ref2.predict(batch).data));
  assert.equal(best.checkpoint.id, checkpoints[1].id);
  const byId = (await post({ inputs: batch, checkpoint: checkpoints[1].id })).json();
  assert.deepEqual(byId.outputs, best.outputs);
});

test('prediction inputs are checked: shape (422 naming both shapes), ragged, types, batch size', async () => {
  const { job } = await trainedJob();
  const post = (payload: unknown) => t.app.inject({ method: 'POST', url: `/v1/jobs/${job.jobId}/predict`, headers: t.auth, payload: payload as object });
  const wrong = await post({ inputs: [[1, 2, 3], [4, 5, 6]] });
  assert.equal(wrong.statusCode, 422, wrong.body);
  assert.match(wrong.json().message, /\[2, 3\].*\[4\]/);
  const ragged = await post({ inputs: [[1, 2, 3, 4], [1, 2, 3]] });
  assert.equal(ragged.statusCode, 422);
  assert.match(ragged.json().message, /inputs\/1/);
  const deep = await post({ inputs: [[[1, 2, 3, 4]]] });
  assert.equal(deep.statusCode, 422);
  const text = await post({ inputs: [1, 2, 'x', 4] });
  assert.equal(text.statusCode, 400);
  assert.match(text.json().message, /inputs\/2/);
  const nul = await post({ inputs: [[1, 2, 3, 4], [1, null, 3, 4]] });
  assert.equal(nul.statusCode, 400);
  assert.equal((await post({ inputs: [] })).statusCode, 400);
  assert.equal((await post({})).statusCode, 400);
  assert.equal((await post({ inputs: [1, 2, 3, 4], extra: 1 })).statusCode, 400);
  const huge = await post({ inputs: Array.from({ length: 4097 }, () => [0, 0, 0, 0]) });
  assert.equal(huge.statusCode, 422);
  assert.equal(huge.json().code, 'limit_exceeded');
  const ok = await post({ inputs: Array.from({ length: 4096 }, () => [0, 0, 0, 0]) });
  assert.equal(ok.statusCode, 200);
  const inf = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.jobId}/predict`, headers: { ...t.auth, 'content-type': 'application/json' }, payload: '{"inputs":[1,2,1e400,4]}' });
  assert.equal(inf.statusCode, 400);
  assert.equal(inf.json().code, 'non_finite_number');
});

test('a binary classifier gets classes by threshold 0.5; a regressor gets none', async () => {
  const binSpec = { inputShape: [4], layers: [{ type: 'dense', units: 1, activation: 'sigmoid' }] };
  const binTraining = { ...TRAINING, loss: 'binary_crossentropy' };
  const job = await seedJob(t.db.prisma, tenantId, { spec: binSpec, training: binTraining });
  const model = trainingModel(binSpec, binTraining);
  model.params[0].value.set([4, -4, 0, 0]);
  await commitCheckpoint(t.db.prisma, job.jobId, job.lease, { attempt: 1, epoch: 1, step: 1, kind: 'final', bytes: model.saveCheckpoint(), metrics: {} }, { keepLast: 1 });
  const r = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.jobId}/predict`, headers: t.auth, payload: { inputs: [[1, 0, 0, 0], [0, 1, 0, 0]] } });
  assert.equal(r.statusCode, 200, r.body);
  const body = r.json();
  assert.ok(body.outputs[0][0] > 0.9 && body.outputs[1][0] < 0.1, JSON.stringify(body.outputs));
  assert.deepEqual(body.classes, [1, 0]);

  const regSpec = { inputShape: [2], layers: [{ type: 'dense', units: 2 }] };
  const regTraining = { ...TRAINING, loss: 'mse' };
  const reg = await seedJob(t.db.prisma, tenantId, { spec: regSpec, training: regTraining });
  await commitCheckpoint(t.db.prisma, reg.jobId, reg.lease, { attempt: 1, epoch: 1, step: 1, kind: 'final', bytes: trainingModel(regSpec, regTraining).saveCheckpoint(), metrics: {} }, { keepLast: 1 });
  const rr = (await t.app.inject({ method: 'POST', url: `/v1/jobs/${reg.jobId}/predict`, headers: t.auth, payload: { inputs: [1, 2] } })).json();
  assert.equal(rr.outputs.length, 2);
  assert.equal(rr.classes, undefined);
});

test('the routes are in the OpenAPI description under the outputs tag', async () => {
  const doc = (await get('/docs/json', {})).json();
  for (const [path, method] of [['/v1/jobs/{id}/metrics', 'get'], ['/v1/jobs/{id}/events', 'get'], ['/v1/jobs/{id}/checkpoints', 'get'], ['/v1/jobs/{id}/weights', 'get'], ['/v1/jobs/{id}/predict', 'post']]) {
    const op = doc.paths[path]?.[method];
    assert.ok(op, `${method} ${path}`);
    assert.deepEqual(op.tags, ['outputs']);
    assert.ok(op.summary);
    assert.ok(op.responses['404'] && op.responses['400'] && op.responses['401'], `${path} error responses`);
  }
  const value = JSON.stringify(doc.paths['/v1/jobs/{id}/metrics'].get.responses['200']);
  assert.match(value, /-Infinity/);
  assert.ok(doc.paths['/v1/jobs/{id}/weights'].get.responses['200'].content['application/octet-stream']);
  assert.ok(doc.paths['/v1/jobs/{id}/events'].get.responses['200'].content['text/event-stream']);
});
