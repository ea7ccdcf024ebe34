/**
 * A GAN job's worker killed mid-job (SIGKILL, real processes): the job resumes
 * from its latest checkpoint (both networks, both optimizers, the RNG streams,
 * mid-epoch progress) on a fresh worker, its d_loss/g_loss series have no gaps
 * or duplicates, and its final weights are bit-identical to the engine's
 * GanTrainer trained straight through on the same data.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors, GanTrainer } from '../../src/engine/index.ts';
import { squares, squaresIdx } from '../helpers/gan-data.ts';
import { api, poll, serviceEnv, startRole, stop, uploadIdx, type ServiceEnv } from '../helpers/service.ts';
import type { RunningProcess } from '../helpers/process.ts';
import { enableRelaxedSimd } from '../../src/workers/relaxed-simd.ts';

// The reference below must train with the kernels the service processes use: the CLI turns
// on relaxed SIMD unless TRAINYARD_RELAXED_SIMD=0 (src/workers/relaxed-simd.ts), so this process
// does the same, before it builds any.
enableRelaxedSimd();

type Job = { id: string; status: string; attempt: number; failure: unknown; transitions: Array<{ to: string; reason: string }> };
type Metrics = { points: Array<{ series: string; step: number }>; next: string | null };
type Checkpoints = { checkpoints: Array<{ kind: string; step: number; attempt: number; samplesUrl: string | null }> };

const COUNT = 400;
// Big enough that an epoch takes a noticeable moment, small enough for CI.
const gan = {
  generator: { inputShape: [16], layers: [{ type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 64, activation: 'tanh' }, { type: 'reshape', targetShape: [8, 8, 1] }] },
  discriminator: { inputShape: [8, 8, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 256, activation: 'leakyRelu' }, { type: 'dense', units: 1 }] },
  generatorOptimizer: { type: 'adam', learningRate: 0.0005, beta1: 0.5 },
  discriminatorOptimizer: { type: 'adam', learningRate: 0.0005, beta1: 0.5 },
  fixedSamples: 16,
};
const EPOCHS = 40;
const BATCH = 8;

let s: ServiceEnv;
let datasetId: string;
const procs: RunningProcess[] = [];

async function startWorker(): Promise<RunningProcess> {
  const p = await startRole(s, s.embedded ? 'all' : 'worker');
  procs.push(p);
  return p;
}

before(async () => {
  s = await serviceEnv();
  if (!s.embedded) procs.push(await startRole(s, 'api'));
  else procs.push(await startRole(s, 'all'));
  await poll('the API', async () => ((await fetch(`${s.base}/readyz`)).ok ? true : undefined), 60_000);
  const { x, y } = squaresIdx(COUNT, 3);
  datasetId = await uploadIdx(s, 'squares', x, y);
});

after(async () => {
  for (const p of procs) await stop(p);
  await s?.cleanup();
});

const job = async (id: string): Promise<Job> => (await api<Job>(s, 'GET', `/v1/jobs/${id}`)).body;
const checkpoints = async (id: string) => (await api<Checkpoints>(s, 'GET', `/v1/jobs/${id}/checkpoints`)).body.checkpoints;

async function seriesSteps(id: string, series: string): Promise<number[]> {
  const steps: number[] = [];
  let after: string | null = '';
  while (after !== null) {
    const r: { body: Metrics } = await api<Metrics>(s, 'GET', `/v1/jobs/${id}/metrics?series=${series}&limit=10000${after ? `&after=${after}` : ''}`);
    steps.push(...r.body.points.map((p) => p.step));
    after = r.body.next;
  }
  return steps;
}

test('a GAN worker killed mid-job: the job resumes from its checkpoint and ends bit-identical to a straight run', { timeout: 600_000 }, async (t) => {
  // Embedded: the `all` process started in `before` is the one to kill; otherwise a worker beside the API.
  let w = s.embedded ? procs[0] : await startWorker();
  const r = await api<Job>(s, 'POST', '/v1/jobs', { type: 'gan', datasetId, gan, training: { epochs: EPOCHS, batchSize: BATCH, seed: 13, checkpoints: { keepLast: 2, minIntervalSeconds: 0 } } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const id = r.body.id;
  await poll('a committed epoch checkpoint', async () => ((await checkpoints(id)).some((c) => c.kind === 'epoch') ? true : undefined), 180_000);
  await stop(w, 'SIGKILL');
  w = await startWorker();
  const done = await poll('the job to finish', async () => {
    const j = await job(id).catch(() => undefined);
    return j && ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
  }, 300_000, 200);
  assert.equal(done.status, 'succeeded', JSON.stringify(done.failure));
  assert.equal(done.attempt, 2, `killed before the end, finished by one more attempt: ${JSON.stringify(done.transitions)}`);
  assert.match(done.transitions.map((x) => x.reason).join(' | '), /resumed after the previous attempt ended without finishing/);

  const total = EPOCHS * Math.floor(COUNT / BATCH);
  for (const series of ['d_loss', 'g_loss']) {
    assert.deepEqual(await seriesSteps(id, series), Array.from({ length: total }, (_, i) => i + 1), `${series}: every step once`);
  }
  const final = (await checkpoints(id)).find((c) => c.kind === 'final');
  assert.ok(final?.samplesUrl, 'the final checkpoint has its grid');

  // The same GAN with the engine alone, never interrupted (the worker maps 0..255 onto [-1, 1] the same way).
  const { x } = squares(COUNT, 3);
  const engine = new GanTrainer({ ...gan, seed: 13 });
  await engine.fit({ data: Float32Array.from(x, (v) => -1 + (v - 0) * (2 / 255)), shape: [COUNT, 8, 8, 1] }, { epochs: EPOCHS, batchSize: BATCH });
  for (const network of ['generator', 'discriminator'] as const) {
    const res = await fetch(`${s.base}/v1/jobs/${id}/weights?network=${network}`, { headers: s.auth });
    assert.equal(res.status, 200);
    const got = decodeSafetensors(new Uint8Array(await res.arrayBuffer())).tensors;
    const want = decodeSafetensors(network === 'generator' ? engine.saveGeneratorWeights() : engine.saveDiscriminatorWeights()).tensors;
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
    for (const k of Object.keys(want)) assert.deepEqual(Array.from(got[k].data as Float32Array), Array.from(want[k].data as Float32Array), `${network} ${k} bit-identical`);
  }
  t.diagnostic(`resumed GAN job ${id}: ${total} steps over 2 attempts`);
  await stop(w, 'SIGTERM');
});
