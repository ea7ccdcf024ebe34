/**
 * A training job's own code path, without the service around it: the worker's `train` task
 * (src/workers/tasks/train.ts) run in the worker's Piscina pool (src/workers/pool.ts) on
 * Fashion-MNIST, exactly as a job of examples/api-fashion-mnist.ts runs it: rescaling 1/255,
 * flatten, dense 128 relu, dense 10 softmax, Adam 1e-3, batch 128, with its per-step metric
 * points, its stop checks and the default checkpoint policy (an epoch checkpoint at most
 * every 10 s, the best epoch held). The messages the task posts are taken and dropped (no
 * database). Skips, saying so, when Fashion-MNIST is not installed.
 *
 * 1 thread and `--threads` take turns, `--rounds` rounds of one `--epochs`-epoch job each,
 * after one job of each that warms the pool's thread up (it loads the modules, V8 compiles
 * the training code, and the first `--threads` job starts the helper threads that later jobs
 * take warm: src/workers/parallel/helperPool.ts); those first jobs are printed apart.
 * The rate is the one examples/api-fashion-mnist.ts prints as "within epochs": each epoch's
 * steps between its first and its last step point (the task stamps them), the median over
 * the epochs after the first (warm-up). Set a job's figure from the service beside this one
 * to see what the service costs, and this one beside `npm run bench threads` to see what
 * the task costs over a bare fit.
 *
 *   node --import tsx bench/job.ts [--epochs 6] [--rounds 5] [--threads 2] [--batch 128] [--data /usr/share/datasets/fashion-mnist]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { createTrainingPool } from '../src/workers/pool.ts';
import { resolveTrainingConfig } from '../src/shared/training-config.ts';
import type { TrainMessage, TrainOutcome, TrainTaskInput } from '../src/workers/tasks/messages.ts';
import { FASHION_MNIST_DIR, FASHION_MNIST_MLP, fashionMnistFile } from '../examples/fashion-mnist-data.ts';
import { median, ratioSpread } from './stats.ts';
import { startCoreTrip } from './core-trip.ts';

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

if (!existsSync(join(values.data, 'train-images-idx3-ubyte.gz'))) {
  console.log(`Fashion-MNIST not found at ${values.data} (apt-get install dataset-fashion-mnist): skipped`);
  process.exit(0);
}
const parts = { x: fashionMnistFile('train-images-idx3-ubyte.gz', values.data), y: fashionMnistFile('train-labels-idx1-ubyte.gz', values.data) };
const pool = createTrainingPool(1);

/** One job of `nThreads` threads: the median in-epoch rate over epochs 2.., and the whole run's. */
async function job(nThreads: number, seed: number): Promise<{ inEpoch: number; run: number; task: number }> {
  const start = performance.now();
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
    jobId: 'bench', spec: FASHION_MNIST_MLP, training, dataset: { format: 'idx', parts, options: {} }, checkpoint: null,
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
  return { inEpoch: median(rates), run: (last.step * batchSize * 1000) / (last.time - begun), task: (performance.now() - start) / 1000 };
}

console.log(`the worker's train task in its Piscina pool, no service: MLP 784-128-10 on Fashion-MNIST (${values.data})`);
console.log(`batch ${batchSize}, ${epochs} epochs a job, 1 thread and ${threads} threads taking turns, ${rounds} rounds`);
const fmt = (v: number) => `${v.toFixed(0).padStart(7)} samples/s`;
const trip = await startCoreTrip();
const tripBefore = trip.measure();
const coldOne = await job(1, 6);
const coldMany = await job(threads, 6);
console.log(`  first jobs on a new worker thread (cold), within epochs: 1 thread ${fmt(coldOne.inEpoch)}   ${threads} threads ${fmt(coldMany.inEpoch)}; the whole task ${coldOne.task.toFixed(2)} s and ${coldMany.task.toFixed(2)} s`);
const one: number[] = [];
const many: number[] = [];
const ratios: number[] = [];
const runOne: number[] = [];
const runMany: number[] = [];
const taskOne: number[] = [];
const taskMany: number[] = [];
for (let r = 0; r < rounds; r++) {
  const a = await job(1, 7 + r);
  const b = await job(threads, 7 + r);
  one.push(a.inEpoch);
  many.push(b.inEpoch);
  runOne.push(a.run);
  runMany.push(b.run);
  taskOne.push(a.task);
  taskMany.push(b.task);
  ratios.push(b.inEpoch / a.inEpoch);
}
console.log(`  within epochs: 1 thread ${fmt(median(one))}   ${threads} threads ${fmt(median(many))}   per round: ${ratioSpread(ratios)}`);
console.log(`  whole run (first step to last, checkpoints and warm-up included): 1 thread ${fmt(median(runOne))}   ${threads} threads ${fmt(median(runMany))}`);
console.log(`  the whole task (reading the data set, starting or taking the helpers, training, the final checkpoint), medians: 1 thread ${median(taskOne).toFixed(2)} s   ${threads} threads ${median(taskMany).toFixed(2)} s`);
console.log(`  a cache line's round trip between two threads (bench/core-trip.ts): ${tripBefore.toFixed(0)} ns before, ${trip.measure().toFixed(0)} ns after`);
await trip.close();
await pool.destroy();
