/**
 * A DCGAN on Fashion-MNIST through the REST API only (node + fetch, nothing from src/):
 * upload the training images (their labels are ignored), submit a `gan` job with the same
 * networks as examples/fashion-mnist-gan.ts, follow it epoch by epoch (d_loss, g_loss and
 * the discriminator's accuracy on real and on fake images), save each checkpoint's sample
 * grid (the generator's images for the job's fixed noise) as a PNG, and at the end also
 * ask /predict for a fresh grid from random latent vectors and download the generator's
 * weights (a PyTorch state_dict as safetensors).
 *
 * Generator: latent 100 → dense 7·7·C (batchNormalization, relu) → reshape [7, 7, C] →
 * conv2dTranspose C/2 4x4 stride 2 (batchNormalization, relu) → conv2dTranspose 1 4x4
 * stride 2 tanh → reshape [28, 28] (the data set's images are [28, 28]).
 * Discriminator: reshape [28, 28, 1] → conv2d C/2 4x4 stride 2 leakyRelu → conv2d C 4x4
 * stride 2 leakyRelu → flatten → dense 1 sigmoid. Adam 2e-4, beta1 0.5 for both; the pixels
 * (0..255) are mapped onto the generator's [-1, 1] by the job (`gan.dataRange`, auto).
 *
 *   TRAINYARD_URL=http://127.0.0.1:3000 TRAINYARD_KEY=<key> node --import tsx examples/api-fashion-mnist-gan.ts \
 *     [--data /usr/share/datasets/fashion-mnist] [--epochs 5] [--batch 64] [--channels 64] [--seed 42]
 *     [--out .tmp/api-gan] [--dataset <id>] [--job <id>]
 *
 * `--data tests/fixtures/fashion-mnist-subset` (2000 images) gives a quick run; `--dataset`
 * reuses an uploaded data set; `--job` follows (or just downloads from) an existing job.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '/usr/share/datasets/fashion-mnist' },
    epochs: { type: 'string', default: '5' },
    batch: { type: 'string', default: '64' },
    channels: { type: 'string', default: '64' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: '.tmp/api-gan' },
    dataset: { type: 'string' },
    job: { type: 'string' },
  },
});

const URL_BASE = (process.env.TRAINYARD_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const KEY = process.env.TRAINYARD_KEY;
if (!KEY) {
  console.error('set TRAINYARD_KEY to an API key (npx trainyard keys create --tenant me)');
  process.exit(2);
}
const AUTH = { authorization: `Bearer ${KEY}` };

interface Progress { epoch: number; epochs: number; step: number; steps: number; samplesPerSecond: number | null; etaSeconds: number | null }
interface Job { id: string; status: string; phase: string | null; progress: Progress | null; failure: { code: string; reason: string | null } | null }
interface Checkpoint { id: string; kind: string; epoch: number; step: number; metrics: Record<string, number | null> | null; samplesUrl: string | null }

async function request(method: string, path: string, body?: unknown, accept?: string): Promise<Response> {
  const headers: Record<string, string> = { ...AUTH, ...(accept ? { accept } : {}) };
  const init: RequestInit = { method, headers };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${URL_BASE}${path}`, init);
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
  return res;
}
const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => (await (await request(method, path, body)).json()) as T;
const download = async (path: string, file: string, body?: unknown): Promise<void> => {
  const res = await request(body === undefined ? 'GET' : 'POST', path, body, body === undefined ? undefined : 'image/png');
  writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
};

mkdirSync(values.out, { recursive: true });

// 1. The data set (the images; the labels are uploaded because the idx format pairs them, and ignored).
let datasetId = values.dataset;
if (!values.job && !datasetId) {
  const form = new FormData();
  form.set('format', 'idx');
  form.set('name', 'fashion-mnist-train');
  form.set('x', new Blob([readFileSync(join(values.data, 'train-images-idx3-ubyte.gz'))]), 'train-images-idx3-ubyte.gz');
  form.set('y', new Blob([readFileSync(join(values.data, 'train-labels-idx1-ubyte.gz'))]), 'train-labels-idx1-ubyte.gz');
  const ds = await api<{ id: string; count: number; sampleShape: number[] }>('POST', '/v1/datasets', form);
  datasetId = ds.id;
  console.log(`uploaded data set ${ds.id}: ${ds.count} images of [${ds.sampleShape}]`);
}

// 2. The job.
let jobId = values.job;
if (!jobId) {
  const C = Number(values.channels);
  const job = await api<Job>('POST', '/v1/jobs', {
    type: 'gan',
    name: 'fashion-mnist-dcgan',
    datasetId,
    gan: {
      generator: {
        inputShape: [100],
        layers: [
          { type: 'dense', units: 7 * 7 * C, useBias: false },
          { type: 'batchNormalization' },
          { type: 'activation', activation: 'relu' },
          { type: 'reshape', targetShape: [7, 7, C] },
          { type: 'conv2dTranspose', filters: C / 2, kernelSize: 4, strides: 2, padding: 'same', useBias: false },
          { type: 'batchNormalization' },
          { type: 'activation', activation: 'relu' },
          { type: 'conv2dTranspose', filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' },
          { type: 'reshape', targetShape: [28, 28] },
        ],
      },
      discriminator: {
        inputShape: [28, 28],
        layers: [
          { type: 'reshape', targetShape: [28, 28, 1] },
          { type: 'conv2d', filters: C / 2, kernelSize: 4, strides: 2, padding: 'same', activation: 'leakyRelu' },
          { type: 'conv2d', filters: C, kernelSize: 4, strides: 2, padding: 'same', activation: 'leakyRelu' },
          { type: 'flatten' },
          { type: 'dense', units: 1, activation: 'sigmoid' },
        ],
      },
      generatorOptimizer: { type: 'adam', learningRate: 2e-4, beta1: 0.5 },
      discriminatorOptimizer: { type: 'adam', learningRate: 2e-4, beta1: 0.5 },
      dSteps: 1,
      fixedSamples: 64,
    },
    training: { epochs: Number(values.epochs), batchSize: Number(values.batch), seed: Number(values.seed) },
  });
  jobId = job.id;
  console.log(`submitted gan job ${job.id} (${job.status})`);
}

// 3. Follow it: a line per change, and every new checkpoint's grid saved.
const saved = new Set<string>();
let job: Job;
let lastLine = '';
for (;;) {
  job = await api<Job>('GET', `/v1/jobs/${jobId}`);
  const p = job.progress;
  const line = `${job.status} ${job.phase ?? ''} ${p ? `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} ${p.samplesPerSecond ?? '-'} samples/s, eta ${p.etaSeconds ?? '-'} s` : ''}`;
  if (line !== lastLine) console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  lastLine = line;
  const { checkpoints } = await api<{ checkpoints: Checkpoint[] }>('GET', `/v1/jobs/${jobId}/checkpoints`);
  for (const c of checkpoints) {
    if (saved.has(c.id) || !c.samplesUrl) continue;
    saved.add(c.id);
    const file = join(values.out, `${c.kind}-epoch${c.epoch}-step${c.step}.png`);
    await download(c.samplesUrl, file);
    const m = c.metrics ?? {};
    const f = (k: string) => (typeof m[k] === 'number' ? (m[k] as number).toFixed(4) : '-');
    console.log(`  checkpoint ${c.kind} at epoch ${c.epoch} step ${c.step}: d_loss ${f('d_loss')} g_loss ${f('g_loss')} d_acc_real ${f('d_acc_real')} d_acc_fake ${f('d_acc_fake')} → ${file}`);
  }
  if (['succeeded', 'failed', 'cancelled'].includes(job.status)) break;
  await new Promise((r) => setTimeout(r, 2000));
}
if (job.status === 'failed') {
  console.error(`job ${job.id} failed: ${JSON.stringify(job.failure)}`);
  process.exit(1);
}

// 4. The latest grid, a fresh grid from random latents (reproducible by its seed), and the generator's weights.
await download(`/v1/jobs/${jobId}/samples.png`, join(values.out, 'latest.png'));
await download(`/v1/jobs/${jobId}/predict?format=png`, join(values.out, 'random-seed7.png'), { count: 64, seed: 7 });
const weights = await request('GET', `/v1/jobs/${jobId}/weights?network=generator&format=safetensors`);
writeFileSync(join(values.out, 'generator.safetensors'), new Uint8Array(await weights.arrayBuffer()));
console.log(`job ${jobId} ${job.status}: wrote ${values.out}/latest.png, random-seed7.png, generator.safetensors`);
