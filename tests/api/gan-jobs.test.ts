/**
 * A GAN job end to end over HTTP with a real worker, on 192 synthetic 8x8
 * images uploaded as IDX: it trains and succeeds with d_loss/g_loss per step
 * and the epoch means; every checkpoint has a sample grid PNG of the expected
 * size; both networks' weights download, load into the engine and match the
 * GanTrainer restored from the job's checkpoint; /predict from given latents
 * equals the engine's generator on the downloaded weights, from count+seed is
 * reproducible, and can answer with a PNG; a running GAN job is cancelled with
 * a checkpoint (and its grid) kept; the routes say what does not apply.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { multipartBody } from '../helpers/multipart.ts';
import { decodePng } from '../helpers/png.ts';
import { mlpSpec, storeBlobs } from '../helpers/datasets.ts';
import { LATENT, discriminatorSpec, generatorSpec, squaresIdx } from '../helpers/gan-data.ts';
import { findCheckpoint } from '../../src/db/repos/checkpoints.ts';
import { decodeSafetensors, GanTrainer, Sequential } from '../../src/engine/index.ts';
import { Rng } from '../../src/engine/rng.ts';

let t: TestApp;
let datasetId: string;
let vectorsId: string;

type JobJson = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

before(async () => {
  t = await createTestApp({ withWorker: true });
  const { x, y } = squaresIdx(192);
  const form = multipartBody([
    { name: 'format', value: 'idx' },
    { name: 'name', value: 'squares' },
    { name: 'x', filename: 'x.idx', content: x },
    { name: 'y', filename: 'y.idx', content: y },
  ]);
  const up = await t.app.inject({ method: 'POST', url: '/v1/datasets', headers: { ...t.auth, ...form.headers }, payload: form.payload });
  assert.equal(up.statusCode, 201, up.body);
  datasetId = up.json().id;
  const tenantId = (await t.db.prisma.tenant.findUniqueOrThrow({ where: { name: 'default' } })).id;
  vectorsId = await storeBlobs(t.db.prisma, tenantId, { count: 64, features: 8 });
});
after(async () => {
  await t?.close();
});

const get = (url: string, headers: Record<string, string> = t.auth) => t.app.inject({ method: 'GET', url, headers });
const post = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url, headers: t.auth, payload: payload as Record<string, unknown> });
const gan = (extra: Record<string, unknown> = {}) => ({
  generator: generatorSpec(), discriminator: discriminatorSpec(),
  generatorOptimizer: { type: 'adam', learningRate: 0.002, beta1: 0.5 }, discriminatorOptimizer: { type: 'adam', learningRate: 0.002, beta1: 0.5 },
  fixedSamples: 16, ...extra,
});

async function waitFor(id: string, statuses: string[], timeoutMs = 120_000): Promise<JobJson> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const job = (await get(`/v1/jobs/${id}`)).json();
    if (statuses.includes(job.status)) return job;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`job ${id} did not reach ${statuses.join('/')} in ${timeoutMs} ms`);
}

async function allPoints(id: string): Promise<Array<{ series: string; step: number; epoch: number; value: number }>> {
  return (await get(`/v1/jobs/${id}/metrics?limit=10000`)).json().points;
}

function tensors(bytes: Uint8Array): Record<string, number[]> {
  return Object.fromEntries(Object.entries(decodeSafetensors(bytes).tensors).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol, `${what}: max difference ${worst} > ${tol}`);
}

let done: JobJson | undefined;
/** One finished GAN job (3 epochs, dSteps 2) shared by the tests that read its outputs. */
async function finishedJob(): Promise<JobJson> {
  if (done) return done;
  const r = await post('/v1/jobs', { type: 'gan', datasetId, gan: gan({ dSteps: 2 }), training: { epochs: 3, batchSize: 16, seed: 21, checkpoints: { minIntervalSeconds: 0 } }, name: 'squares-gan' });
  assert.equal(r.statusCode, 201, r.body);
  done = await waitFor(r.json().id, ['succeeded', 'failed', 'cancelled']);
  assert.equal(done.status, 'succeeded', JSON.stringify(done.failure));
  return done;
}

test('a gan job trains and succeeds: per-step d_loss and g_loss, epoch means, progress', { timeout: 180_000 }, async () => {
  const job = await finishedJob();
  assert.equal(job.type, 'gan');
  const steps = 3 * Math.floor(192 / (16 * 2));
  assert.deepEqual({ ...job.progress, samplesPerSecond: null, etaSeconds: null }, { epoch: 3, epochs: 3, step: steps, steps, samplesPerSecond: null, etaSeconds: null });
  const points = await allPoints(job.id);
  for (const series of ['d_loss', 'g_loss']) {
    assert.deepEqual(points.filter((p) => p.series === series).map((p) => p.step), Array.from({ length: steps }, (_, i) => i + 1), `${series} every step once`);
  }
  for (const series of ['epoch_d_loss', 'epoch_g_loss', 'epoch_d_acc_real', 'epoch_d_acc_fake']) {
    const s = points.filter((p) => p.series === series);
    assert.deepEqual(s.map((p) => p.epoch), [0, 1, 2], series);
    assert.ok(s.every((p) => typeof p.value === 'number'), series);
  }
  assert.ok(!points.some((p) => p.series === 'loss'), 'no ambiguous "loss" series');
  // The epoch means are the means of the step values.
  const dl = points.filter((p) => p.series === 'd_loss' && p.epoch === 1).map((p) => p.value);
  const mean = points.find((p) => p.series === 'epoch_d_loss' && p.epoch === 1)!.value;
  assert.ok(Math.abs(dl.reduce((a, b) => a + b, 0) / dl.length - mean) < 1e-9);
  for (const k of ['d_loss', 'g_loss', 'epoch_d_loss', 'epoch_g_loss', 'epoch_d_acc_real', 'epoch_d_acc_fake']) {
    assert.equal(typeof job.latestMetrics[k], 'number', `latestMetrics.${k}: ${JSON.stringify(job.latestMetrics)}`);
  }
});

test('every checkpoint has a sample grid PNG: 4x4 tiles of 8x8 with separators, ETag and 304', { timeout: 180_000 }, async () => {
  const job = await finishedJob();
  const list = (await get(`/v1/jobs/${job.id}/checkpoints`)).json();
  assert.ok(list.checkpoints.length >= 2);
  assert.equal(list.best, null, 'no best metric unless asked for');
  for (const c of list.checkpoints) {
    assert.equal(c.samplesUrl, `/v1/jobs/${job.id}/checkpoints/${c.id}/samples.png`);
    const r = await get(c.samplesUrl);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['content-type'], 'image/png');
    const png = decodePng(r.rawPayload);
    assert.deepEqual([png.width, png.height, png.bitDepth, png.colorType], [4 * 8 + 3, 4 * 8 + 3, 8, 0]);
    assert.equal(r.headers.etag, `"${createHash('sha256').update(r.rawPayload).digest('hex')}"`);
  }
  const latest = await get(`/v1/jobs/${job.id}/samples.png`);
  assert.equal(latest.statusCode, 200);
  assert.equal(latest.headers['x-trainyard-checkpoint'], list.latest);
  const final = list.checkpoints.find((c: { kind: string }) => c.kind === 'final');
  assert.equal(final.id, list.latest);
  const again = await get(`/v1/jobs/${job.id}/samples.png?checkpoint=${list.latest}`, { ...t.auth, 'if-none-match': String(latest.headers.etag) });
  assert.equal(again.statusCode, 304);
  // The grid is the engine's, from the checkpoint's fixed noise.
  const stored = await findCheckpoint(t.db.prisma, job.id, 'latest');
  const trainer = new GanTrainer({ generator: generatorSpec(), discriminator: discriminatorSpec(), dSteps: 2, seed: 21, fixedSamples: 16, generatorOptimizer: gan().generatorOptimizer, discriminatorOptimizer: gan().discriminatorOptimizer });
  trainer.loadCheckpoint(stored!.bytes);
  assert.deepEqual(decodePng(latest.rawPayload).data, trainer.sampleGrid(null, 4, 4).data);
});

test("both networks' weights download and load into the engine, matching the trained GAN", { timeout: 180_000 }, async () => {
  const job = await finishedJob();
  const stored = await findCheckpoint(t.db.prisma, job.id, 'latest');
  const trainer = new GanTrainer({ generator: generatorSpec(), discriminator: discriminatorSpec(), dSteps: 2, seed: 99, fixedSamples: 16, generatorOptimizer: gan().generatorOptimizer, discriminatorOptimizer: gan().discriminatorOptimizer });
  trainer.loadCheckpoint(stored!.bytes);
  const z = new Float32Array(5 * LATENT).map((_, i) => Math.sin(i));

  const gw = await get(`/v1/jobs/${job.id}/weights`);
  assert.equal(gw.statusCode, 200, gw.body);
  assert.match(String(gw.headers['content-disposition']), /trainyard-[0-9a-f-]+-generator-step18\.safetensors/);
  const gFile = decodeSafetensors(gw.rawPayload);
  assert.deepEqual(Object.keys(gFile.tensors).sort(), ['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight']);
  assert.equal(gFile.metadata.network, 'generator');
  assert.deepEqual(tensors(gw.rawPayload), tensors(trainer.saveGeneratorWeights()));
  const g = Sequential.fromSpec(generatorSpec(), { seed: 1 });
  g.loadWeights(gw.rawPayload);
  assertClose(g.predict({ data: z, shape: [5, LATENT] }).data, trainer.predict(z).data, 1e-6, 'generator');

  const dw = await get(`/v1/jobs/${job.id}/weights?network=discriminator&format=safetensors`);
  assert.equal(dw.statusCode, 200, dw.body);
  assert.equal(decodeSafetensors(dw.rawPayload).metadata.network, 'discriminator');
  assert.deepEqual(tensors(dw.rawPayload), tensors(trainer.saveDiscriminatorWeights()));
  const d = Sequential.fromSpec(discriminatorSpec(), { seed: 1 });
  d.loadWeights(dw.rawPayload);
  const fakes = trainer.predict(z);
  assertClose(d.predict(fakes).data, trainer.discriminator.predict(fakes).data, 1e-6, 'discriminator');

  const json = await get(`/v1/jobs/${job.id}/weights?network=discriminator&format=json`);
  assert.equal(json.statusCode, 200);
  assert.deepEqual(json.json().tensors['layers.2.bias'].data, tensors(dw.rawPayload)['layers.2.bias']);
  assert.notEqual(json.headers.etag, (await get(`/v1/jobs/${job.id}/weights?network=generator&format=json`)).headers.etag);
});

test('predict generates from given latents (the engine generator on the downloaded weights), from count+seed reproducibly, and as a PNG', { timeout: 180_000 }, async () => {
  const job = await finishedJob();
  const g = Sequential.fromSpec(generatorSpec(), { seed: 1 });
  g.loadWeights((await get(`/v1/jobs/${job.id}/weights`)).rawPayload);
  const latents = [Array.from({ length: LATENT }, (_, i) => i / 4 - 1), Array.from({ length: LATENT }, (_, i) => Math.cos(i))];
  const r = await post(`/v1/jobs/${job.id}/predict`, { latents });
  assert.equal(r.statusCode, 200, r.body);
  const body = r.json();
  assert.deepEqual(body.sampleRange, [-1, 1]);
  assert.deepEqual(body.latents, latents.map((v) => Array.from(Float32Array.from(v))));
  assert.equal(body.outputs.length, 2);
  assert.equal(body.outputs[0].length, 8);
  assert.equal(body.outputs[0][0].length, 8);
  assert.equal(body.outputs[0][0][0].length, 1);
  const expected = g.predict({ data: Float32Array.from(latents.flat()), shape: [2, LATENT] }).data;
  assertClose(body.outputs.flat(3), expected, 1e-6, 'predict vs engine');

  const a = (await post(`/v1/jobs/${job.id}/predict`, { count: 3, seed: 7 })).json();
  const b = (await post(`/v1/jobs/${job.id}/predict`, { count: 3, seed: 7 })).json();
  assert.equal(a.seed, 7);
  assert.deepEqual(a.outputs, b.outputs);
  const rng = new Rng(7);
  assert.deepEqual(a.latents.flat(), Array.from(Float32Array.from({ length: 3 * LATENT }, () => rng.normal())));
  const c = (await post(`/v1/jobs/${job.id}/predict`, { count: 3 })).json();
  assert.equal(typeof c.seed, 'number', 'a seed is chosen and returned');
  assert.deepEqual((await post(`/v1/jobs/${job.id}/predict`, { count: 3, seed: c.seed })).json().outputs, c.outputs);

  const png = await post(`/v1/jobs/${job.id}/predict?format=png`, { count: 10, seed: 3 });
  assert.equal(png.statusCode, 200, png.body);
  assert.equal(png.headers['content-type'], 'image/png');
  assert.equal(png.headers['x-trainyard-seed'], '3');
  const img = decodePng(png.rawPayload);
  assert.deepEqual([img.width, img.height], [4 * 9 - 1, 3 * 9 - 1], '10 samples: 4 columns, 3 rows');
  const accept = await t.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/predict`, headers: { ...t.auth, accept: 'image/png' }, payload: { count: 10, seed: 3 } });
  assert.deepEqual(accept.rawPayload, png.rawPayload);
});

test('gan routes refuse what does not apply, with stable codes', { timeout: 180_000 }, async () => {
  const job = await finishedJob();
  const bad: Array<[unknown, number, string, RegExp]> = [
    [{ latents: [[1, 2, 3]] }, 422, 'invalid_data', /^body\/latents\/0 must be an array of latentDim = 8 numbers, got 3/],
    [{ latents: [Array(8).fill(0), Array(9).fill(0)] }, 422, 'invalid_data', /^body\/latents\/1 /],
    [{ inputs: [1, 2] }, 422, 'invalid_data', /^body\/inputs: a gan job generates from "latents" or "count"/],
    [{}, 422, 'invalid_data', /exactly one of "latents" .* or "count"/],
    [{ latents: [Array(8).fill(0)], count: 2 }, 422, 'invalid_data', /exactly one of/],
    [{ latents: [Array(8).fill(0)], seed: 2 }, 422, 'invalid_data', /^body\/seed: only with "count"/],
    [{ count: 5000 }, 400, 'validation_failed', /count/],
  ];
  for (const [payload, status, code, message] of bad) {
    const r = await post(`/v1/jobs/${job.id}/predict`, payload);
    assert.equal(r.statusCode, status, `${JSON.stringify(payload)}: ${r.body}`);
    assert.equal(r.json().code, code);
    assert.match(r.json().message, message);
  }
  // A train job: no networks, no samples, no latents.
  const train = await post('/v1/jobs', { datasetId: vectorsId, model: mlpSpec(), training: { loss: 'sparseCategoricalCrossentropy', epochs: 1, batchSize: 16, seed: 1 } });
  const trained = await waitFor(train.json().id, ['succeeded', 'failed']);
  const samples = await get(`/v1/jobs/${trained.id}/samples.png`);
  assert.equal(samples.statusCode, 404);
  assert.equal(samples.json().code, 'no_samples');
  const net = await get(`/v1/jobs/${trained.id}/weights?network=generator`);
  assert.equal(net.statusCode, 400);
  assert.match(net.json().message, /^querystring\/network: only gan jobs/);
  const lat = await post(`/v1/jobs/${trained.id}/predict`, { count: 2 });
  assert.equal(lat.statusCode, 422);
  assert.match(lat.json().message, /^body\/count: only for gan jobs/);
  assert.equal((await get(`/v1/jobs/${trained.id}/checkpoints`)).json().checkpoints[0].samplesUrl, null);
  // A GAN over vectors: it trains, but has no pictures.
  const vec = await post('/v1/jobs', {
    type: 'gan', datasetId: vectorsId,
    gan: { generator: { inputShape: [4], layers: [{ type: 'dense', units: 8 }] }, discriminator: { inputShape: [8], layers: [{ type: 'dense', units: 1 }] } },
    training: { epochs: 1, batchSize: 16, seed: 1 },
  });
  const vdone = await waitFor(vec.json().id, ['succeeded', 'failed']);
  assert.equal(vdone.status, 'succeeded', JSON.stringify(vdone.failure));
  const vs = await get(`/v1/jobs/${vdone.id}/samples.png`);
  assert.equal(vs.statusCode, 404);
  assert.equal(vs.json().code, 'no_samples');
  assert.match(vs.json().message, /samples of shape \[8\], which are not images/);
  assert.equal((await get(`/v1/jobs/${vdone.id}/checkpoints`)).json().checkpoints.at(-1).samplesUrl, null);
  const vp = await post(`/v1/jobs/${vdone.id}/predict`, { count: 2, seed: 1 });
  assert.equal(vp.statusCode, 200, vp.body);
  assert.equal(vp.json().outputs[0].length, 8);
  assert.equal((await post(`/v1/jobs/${vdone.id}/predict?format=png`, { count: 2 })).json().code, 'no_samples');
});

test('a running gan job is cancelled with a stop checkpoint and its grid kept; before any checkpoint, samples are a 404 not_found', { timeout: 180_000 }, async () => {
  const r = await post('/v1/jobs', { type: 'gan', datasetId, gan: gan(), training: { epochs: 100_000, batchSize: 16, seed: 2, checkpoints: { minIntervalSeconds: 0 } } });
  assert.equal(r.statusCode, 201, r.body);
  const id = r.json().id;
  const early = await get(`/v1/jobs/${id}/samples.png`);
  if (early.statusCode !== 200) {
    assert.equal(early.statusCode, 404);
    assert.equal(early.json().code, 'not_found');
  }
  const t0 = Date.now();
  while ((await t.db.prisma.checkpoint.count({ where: { jobId: id } })) === 0) {
    assert.ok(Date.now() - t0 < 60_000, 'no checkpoint in time');
    await new Promise((res) => setTimeout(res, 50));
  }
  const c = await post(`/v1/jobs/${id}/cancel`, {});
  assert.equal(c.statusCode, 202, c.body);
  const cancelled = await waitFor(id, ['cancelled', 'succeeded', 'failed']);
  assert.equal(cancelled.status, 'cancelled');
  const list = (await get(`/v1/jobs/${id}/checkpoints`)).json();
  const stop = list.checkpoints.find((x: { kind: string }) => x.kind === 'stop');
  assert.ok(stop, 'a stop checkpoint');
  assert.equal(list.latest, stop.id);
  assert.match(String(cancelled.transitions.at(-1)?.reason), new RegExp(`cancelled at step ${stop.step}$`));
  const png = await get(stop.samplesUrl);
  assert.equal(png.statusCode, 200);
  assert.equal(decodePng(png.rawPayload).width, 35);
  // The metric series stop at the stop checkpoint's step.
  const steps = (await allPoints(id)).filter((p) => p.series === 'g_loss').map((p) => p.step);
  assert.deepEqual(steps, Array.from({ length: stop.step }, (_, i) => i + 1));
});
