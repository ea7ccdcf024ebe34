/**
 * The Fashion-MNIST acceptance run, through the REST API only (node + fetch, nothing from
 * src/): upload the full training set, train the classic Keras MLP (rescaling 1/255 →
 * flatten → dense 128 relu → dense 10 softmax; adam 0.001; sparse categorical
 * cross-entropy; batch 32; 5 epochs; validationSplit 0.1), then score the 10k test set
 * with POST /v1/jobs/:id/predict in batches and print the figures:
 *
 *   test accuracy, samples/s (the job's progress and the metric timestamps),
 *   submit → running, last step → succeeded, upload time.
 *
 *   TRAINYARD_URL=http://127.0.0.1:3000 TRAINYARD_KEY=<key> node --import tsx examples/api-fashion-mnist.ts \
 *     [--data /usr/share/datasets/fashion-mnist] [--epochs 5] [--seed N] [--validation-split 0.1] [--dataset <id>] [--job <id>]
 *     [--checkpoint latest|best|<id>] [--batch 2048] [--min-accuracy 0.85] [--batch-size 32] [--threads 1] [--exact]
 *
 * `--batch-size` and `--threads` set the job's training batch and its data-parallel threads
 * (`training.threads`), so the job's samples/s can be set beside `npm run bench threads`:
 * `--batch-size 128 --threads 2` against `--batch-size 128`. `--exact` asks for the 1-thread
 * weights bit for bit on any thread count (`training.exactAcrossThreads`).
 * `--dataset` reuses an uploaded data set; `--job` only scores (and measures) a finished job.
 * Exits 1 when the test accuracy is below `--min-accuracy`. The default, 0.85, sits below
 * the recipe's spread over seeds, not at its mean: 5 epochs gave 0.8613-0.8786 over 16 runs
 * here (mean about 0.871; 8 of them under 0.87) and 0.8637-0.8774 in PyTorch
 * (docs/api-walkthrough.md). The check is there to catch a broken trainer, not a seed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FASHION_MNIST_DIR, FASHION_MNIST_MLP, fashionMnistFile } from './fashion-mnist-data.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: FASHION_MNIST_DIR },
    epochs: { type: 'string', default: '5' },
    dataset: { type: 'string' },
    job: { type: 'string' },
    // 4096 samples is the API's cap per call; 4096 Fashion-MNIST images as JSON are ~9.3 MB,
    // close to the default 10 MiB body limit (TRAINYARD_BODY_LIMIT): 2048 leaves room.
    batch: { type: 'string', default: '2048' },
    seed: { type: 'string' },
    'validation-split': { type: 'string', default: '0.1' },
    checkpoint: { type: 'string', default: 'latest' },
    'min-accuracy': { type: 'string', default: '0.85' },
    'batch-size': { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    exact: { type: 'boolean', default: false },
  },
});

const URL_BASE = (process.env.TRAINYARD_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const KEY = process.env.TRAINYARD_KEY;
if (!KEY) {
  console.error('set TRAINYARD_KEY to an API key (npx trainyard keys create --tenant me)');
  process.exit(2);
}
const AUTH = { authorization: `Bearer ${KEY}` };

interface Transition { from: string | null; to: string; at: string; reason: string | null }
interface Progress { epoch: number; epochs: number; step: number; steps: number; samplesPerSecond: number | null; etaSeconds: number | null }
interface Job {
  id: string;
  status: string;
  phase: string | null;
  progress: Progress | null;
  latestMetrics: Record<string, number | string>;
  failure: { code: string; reason: string | null } | null;
  createdAt: string;
  training: { batchSize: number; validationSplit: number; epochs: number; seed: number; threads?: number; exactAcrossThreads?: boolean };
  transitions: Transition[];
}
interface MetricPoint { series: string; step: number; epoch: number; value: number | string; time: string }

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { ...AUTH } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...AUTH, 'content-type': 'application/json' };
  }
  const res = await fetch(`${URL_BASE}${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

const idx = (name: string): Uint8Array => fashionMnistFile(name, values.data);

const seconds = (a: string | number | Date, b: string | number | Date): number => (new Date(b).getTime() - new Date(a).getTime()) / 1000;

// 1. The data set.
let datasetId = values.dataset;
let uploadSeconds: number | null = null;
if (!values.job && !datasetId) {
  const form = new FormData();
  form.set('format', 'idx');
  form.set('name', 'fashion-mnist-train');
  form.set('x', new Blob([readFileSync(join(values.data, 'train-images-idx3-ubyte.gz'))]), 'train-images-idx3-ubyte.gz');
  form.set('y', new Blob([readFileSync(join(values.data, 'train-labels-idx1-ubyte.gz'))]), 'train-labels-idx1-ubyte.gz');
  const t0 = performance.now();
  const ds = await api<{ id: string; count: number; sampleShape: number[]; bytes: number }>('POST', '/v1/datasets', form);
  uploadSeconds = (performance.now() - t0) / 1000;
  datasetId = ds.id;
  console.log(`uploaded data set ${ds.id}: ${ds.count} samples of [${ds.sampleShape}], ${ds.bytes} bytes, in ${uploadSeconds.toFixed(2)} s`);
}

// 2. The job.
let jobId = values.job;
if (!jobId) {
  const job = await api<Job>('POST', '/v1/jobs', {
    name: 'fashion-mnist-mlp',
    datasetId,
    // The same model `npm run bench job` trains, so the two figures compare.
    model: FASHION_MNIST_MLP,
    training: {
      optimizer: { type: 'adam', learningRate: 0.001 },
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
      batchSize: Number(values['batch-size']),
      epochs: Number(values.epochs),
      ...(values.threads === '1' ? {} : { threads: Number(values.threads) }),
      ...(values.exact ? { exactAcrossThreads: true } : {}),
      validationSplit: Number(values['validation-split']),
      ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    },
  });
  jobId = job.id;
  console.log(`submitted job ${job.id} (${job.status})`);
}

// 3. Wait for it.
let job: Job;
let lastLine = '';
for (;;) {
  job = await api<Job>('GET', `/v1/jobs/${jobId}`);
  const p = job.progress;
  const line = `${job.status} ${job.phase ?? ''} ${p ? `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} ${p.samplesPerSecond ?? '-'} samples/s` : ''}`;
  if (line !== lastLine) console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  lastLine = line;
  if (['succeeded', 'failed', 'cancelled'].includes(job.status)) break;
  await new Promise((r) => setTimeout(r, 2000));
}
if (job.status !== 'succeeded') {
  console.error(`job ${job.id} ${job.status}: ${JSON.stringify(job.failure)}`);
  process.exit(1);
}

// 4. Score the test set through /predict.
const testX = idx('t10k-images-idx3-ubyte.gz');
const testY = idx('t10k-labels-idx1-ubyte.gz');
const n = (testY[4] << 24) | (testY[5] << 16) | (testY[6] << 8) | testY[7];
const batch = Number(values.batch);
let correct = 0;
const tPredict = performance.now();
for (let start = 0; start < n; start += batch) {
  const count = Math.min(batch, n - start);
  const inputs: number[][][] = [];
  for (let i = 0; i < count; i++) {
    const img: number[][] = [];
    const base = 16 + (start + i) * 784;
    for (let r = 0; r < 28; r++) img.push(Array.from(testX.subarray(base + r * 28, base + r * 28 + 28)));
    inputs.push(img);
  }
  const res = await api<{ classes: number[] }>('POST', `/v1/jobs/${jobId}/predict`, { inputs, checkpoint: values.checkpoint });
  for (let i = 0; i < count; i++) if (res.classes[i] === testY[8 + start + i]) correct++;
}
const predictSeconds = (performance.now() - tPredict) / 1000;
const accuracy = correct / n;

// 5. Timings: transitions and the per-step loss points' times.
const at = (to: string): string | undefined => job.transitions.find((t) => t.to === to)?.at;
const queuedAt = at('queued') ?? job.createdAt;
const runningAt = at('running');
const succeededAt = at('succeeded');
const losses: MetricPoint[] = [];
for (let after: string | null = null; ;) {
  const page: { points: MetricPoint[]; next: string | null } = await api('GET', `/v1/jobs/${jobId}/metrics?series=loss&limit=10000${after ? `&after=${after}` : ''}`);
  losses.push(...page.points);
  if (page.next === null) break;
  after = page.next;
}
const first = losses[0];
const last = losses[losses.length - 1];
const bs = job.training.batchSize;
const metricRate = ((last.step - first.step) * bs) / seconds(first.time, last.time);
const trainSamples = last.step * bs; // the last step of each epoch may be short; close enough
// Within each epoch (its first to its last step point): training alone, as `npm run bench` measures
// it, without the validation pass and the checkpoint between epochs.
const epochRates: number[] = [];
for (let e = first.epoch; e <= last.epoch; e++) {
  const pts = losses.filter((p) => p.epoch === e);
  if (pts.length < 2) continue;
  const s = seconds(pts[0].time, pts[pts.length - 1].time);
  if (s > 0) epochRates.push(((pts[pts.length - 1].step - pts[0].step) * bs) / s);
}
epochRates.sort((a, b) => a - b);
const wallRate = runningAt ? trainSamples / seconds(runningAt, last.time) : NaN;

console.log('');
console.log(`job                          ${job.id}`);
console.log(`seed                         ${job.training.seed}`);
console.log(`batch size, threads          ${bs}, ${job.training.threads ?? 1}${job.training.exactAcrossThreads ? ' (exact across thread counts)' : ''}`);
console.log(`test accuracy                ${accuracy.toFixed(4)} (${correct}/${n}; checkpoint ${values.checkpoint}; scored by /predict in batches of ${batch}, ${predictSeconds.toFixed(1)} s)`);
console.log(`validation accuracy          ${String(job.latestMetrics.val_accuracy ?? 'n/a (validationSplit 0)')}`);
console.log(`samples/s (progress)         ${job.progress?.samplesPerSecond ?? 'n/a'}`);
console.log(`samples/s (loss timestamps)  ${metricRate.toFixed(0)} (steps ${first.step}..${last.step} × batch ${bs}, ${seconds(first.time, last.time).toFixed(1)} s)`);
if (epochRates.length > 0) {
  console.log(`samples/s (within epochs)    ${epochRates[epochRates.length >> 1].toFixed(0)} median of ${epochRates.length} epochs (${epochRates[0].toFixed(0)}-${epochRates[epochRates.length - 1].toFixed(0)}), training steps only, as npm run bench measures`);
}
console.log(`samples/s (running → last)   ${wallRate.toFixed(0)} (includes loading data and validation)`);
console.log(`submit → running             ${runningAt ? seconds(queuedAt, runningAt).toFixed(3) : 'n/a'} s`);
console.log(`running → first loss point   ${runningAt ? seconds(runningAt, first.time).toFixed(3) : 'n/a'} s (step ${first.step}; long epochs record every k-th step)`);
console.log(`last step → succeeded        ${succeededAt ? seconds(last.time, succeededAt).toFixed(3) : 'n/a'} s`);
if (uploadSeconds !== null) console.log(`upload                       ${uploadSeconds.toFixed(2)} s`);
const min = Number(values['min-accuracy']);
if (accuracy < min) {
  console.error(`test accuracy ${accuracy.toFixed(4)} is below ${min}`);
  process.exit(1);
}
