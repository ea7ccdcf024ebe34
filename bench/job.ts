/**
 * A training job's own code path, without the service around it: the worker's `train` task
 * (src/workers/tasks/train.ts) run in the worker's Piscina pool (src/workers/pool.ts) on
 * Fashion-MNIST (or random pixels of its shape when it is not installed), exactly as a job
 * of examples/api-fashion-mnist.ts runs it: rescaling 1/255, flatten, dense 128 relu, dense
 * 10 softmax, Adam 1e-3, batch 128, with its per-step metric points, its stop checks and a
 * checkpoint each epoch. The messages the task posts are taken and dropped (no database).
 *
 * 1 thread and `--threads` take turns, `--rounds` rounds of one `--epochs`-epoch job each.
 * The rate is the one examples/api-fashion-mnist.ts prints as "within epochs": each epoch's
 * steps between its first and its last step point (the task stamps them), the median over
 * the epochs after the first (warm-up). Set a job's figure from the service beside this one
 * to see what the service costs, and this one beside `npm run bench threads` to see what
 * the task costs over a bare fit.
 *
 *   node --import tsx bench/job.ts [--epochs 6] [--rounds 5] [--threads 2] [--batch 128] [--data /usr/share/datasets/fashion-mnist]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MessageChannel } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { createTrainingPool } from '../src/workers/pool.ts';
import { resolveTrainingConfig } from '../src/shared/training-config.ts';
import type { TrainMessage, TrainOutcome, TrainTaskInput } from '../src/workers/tasks/messages.ts';
import { FASHION_MNIST_DIR } from '../examples/fashion-mnist-data.ts';
import { median, ratioSpread } from './stats.ts';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '128' },
    data: { type: 'string', default: FASHION_MNIST_DIR },
  },
});
const epochs = Number(values.epochs);
const rounds = Number(values.rounds);
const threads = Number(values.threads);
const batchSize = Number(values.batch);

const SPEC = {
  inputShape: [28, 28],
  layers: [
    { type: 'rescaling', scale: 1 / 255 },
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

/** An IDX file's bytes: the magic (unsigned bytes, `dims` dimensions), the sizes, the data. */
function idxBytes(shape: number[], data: Uint8Array): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * shape.length));
  head.setUint32(0, 0x0800 | shape.length);
  shape.forEach((n, i) => head.setUint32(4 + 4 * i, n));
  const out = new Uint8Array(head.byteLength + data.length);
  out.set(new Uint8Array(head.buffer));
  out.set(data, head.byteLength);
  return out;
}

function dataset(): { parts: Record<string, Uint8Array>; what: string } {
  const file = (name: string) => join(values.data, name);
  if (existsSync(file('train-images-idx3-ubyte.gz'))) {
    const read = (name: string) => new Uint8Array(gunzipSync(readFileSync(file(name))));
    return { parts: { x: read('train-images-idx3-ubyte.gz'), y: read('train-labels-idx1-ubyte.gz') }, what: `Fashion-MNIST (${values.data})` };
  }
  // Random pixels and labels of Fashion-MNIST's shape (a fixed LCG: the same bytes every run).
  const n = 60000;
  const pixels = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  for (let i = 0; i < pixels.length; i++) pixels[i] = next();
  for (let i = 0; i < n; i++) labels[i] = next() % 10;
  return { parts: { x: idxBytes([n, 28, 28], pixels), y: idxBytes([n], labels) }, what: 'random pixels of Fashion-MNIST\'s shape (Fashion-MNIST not installed: apt-get install dataset-fashion-mnist)' };
}

const { parts, what } = dataset();
const pool = createTrainingPool(1);

/** One job of `nThreads` threads: the median in-epoch rate over epochs 2.., and the whole run's. */
async function job(nThreads: number, seed: number): Promise<{ inEpoch: number; run: number }> {
  const training = resolveTrainingConfig({
    loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], epochs, batchSize, validationSplit: 0, seed,
    ...(nThreads > 1 ? { threads: nThreads } : {}),
  }, () => seed);
  const { port1, port2 } = new MessageChannel();
  const steps: { step: number; epoch: number; time: number }[] = [];
  let begun = 0;
  port1.on('message', (m: TrainMessage) => {
    if (m.type === 'steps') for (const p of m.points) steps.push(p);
    else if (m.type === 'begin') begun = Date.now();
  });
  const input: TrainTaskInput = {
    jobId: 'bench', spec: SPEC, training, dataset: { format: 'idx', parts, options: {} }, checkpoint: null,
    control: new SharedArrayBuffer(4), port: port2,
  };
  const out = await pool.run(input, { name: 'train', transferList: [port2] }) as TrainOutcome;
  port1.close();
  if (out.outcome !== 'completed') throw new Error(`job ended ${out.outcome}: ${JSON.stringify(out)}`);
  const rates: number[] = [];
  for (let e = 1; e < epochs; e++) {
    const pts = steps.filter((p) => p.epoch === e);
    if (pts.length < 2 || pts[pts.length - 1].time <= pts[0].time) continue;
    rates.push(((pts[pts.length - 1].step - pts[0].step) * batchSize * 1000) / (pts[pts.length - 1].time - pts[0].time));
  }
  const last = steps[steps.length - 1];
  return { inEpoch: median(rates), run: (last.step * batchSize * 1000) / (last.time - begun) };
}

console.log(`the worker's train task in its Piscina pool, no service: MLP 784-128-10 on ${what}`);
console.log(`batch ${batchSize}, ${epochs} epochs a job, 1 thread and ${threads} threads taking turns, ${rounds} rounds`);
const one: number[] = [];
const many: number[] = [];
const ratios: number[] = [];
const runOne: number[] = [];
const runMany: number[] = [];
for (let r = 0; r < rounds; r++) {
  const a = await job(1, 7 + r);
  const b = await job(threads, 7 + r);
  one.push(a.inEpoch);
  many.push(b.inEpoch);
  runOne.push(a.run);
  runMany.push(b.run);
  ratios.push(b.inEpoch / a.inEpoch);
}
const fmt = (v: number) => `${v.toFixed(0).padStart(7)} samples/s`;
console.log(`  within epochs: 1 thread ${fmt(median(one))}   ${threads} threads ${fmt(median(many))}   per round: ${ratioSpread(ratios)}`);
console.log(`  whole run (first step to last, checkpoints and warm-up included): 1 thread ${fmt(median(runOne))}   ${threads} threads ${fmt(median(runMany))}`);
await pool.destroy();
