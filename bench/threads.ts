/**
 * Data-parallel training over threads (src/workers/parallel): samples/s of the same fit
 * with 1 thread and with 2 (ParallelTrainer: the main thread + one helper on the shared
 * weights), and the ratio, in one run. MLP 784-128-10 (Adam) at batch 128 and 32, and the
 * small CNN of bench/cnn.ts at batch 128. The machine's other load skews the ratio: run it
 * a few times and note `uptime`.
 *
 *   node --import tsx bench/threads.ts [--steps 300] [--batches 128,32] [--threads 2] [--no-cnn]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { Rng, Sequential } from '../src/engine/index.ts';
import { ParallelTrainer } from '../src/workers/parallel/index.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    batches: { type: 'string', default: '128,32' },
    threads: { type: 'string', default: '2' },
    'no-cnn': { type: 'boolean', default: false },
  },
});
const steps = Number(values.steps);
const batches = values.batches.split(',').map(Number);
const threads = Number(values.threads);

const MLP = {
  inputShape: [784],
  layers: [{ type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
};
const CNN = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

async function samplesPerSecond(spec: unknown, inSize: number, batch: number, nThreads: number, nSteps: number): Promise<number> {
  const n = nSteps * batch;
  const rng = new Rng(1);
  const x = new Float32Array(n * inSize);
  for (let i = 0; i < x.length; i++) x[i] = rng.float();
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(10);
  const shape = (spec as { inputShape: number[] }).inputShape;
  const model = Sequential.fromSpec(spec, { seed: 0 });
  model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  const trainer = nThreads > 1 ? await ParallelTrainer.create(model, { threads: nThreads, batchSize: batch }) : null;
  const opts = { batchSize: batch, ...(trainer ? { gradients: trainer } : {}) };
  try {
    const warm = Math.min(20, nSteps) * batch;
    await model.fit({ data: x.subarray(0, warm * inSize), shape: [warm, ...shape] }, { data: y.subarray(0, warm), shape: [warm] }, opts);
    const t = performance.now();
    await model.fit({ data: x, shape: [n, ...shape] }, { data: y, shape: [n] }, { ...opts, epochs: 1, shuffle: false });
    return n / ((performance.now() - t) / 1000);
  } finally {
    await trainer?.close();
  }
}

console.log(`data-parallel fit, 1 vs ${threads} threads, ${steps} steps per case; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const cases: [string, unknown, number, number][] = batches.map((b) => [`MLP 784-128-10 batch ${b}`, MLP, 784, b]);
if (!values['no-cnn']) cases.push(['CNN conv8-pool-dense batch 128', CNN, 784, 128]);
for (const [name, spec, inSize, batch] of cases) {
  const nSteps = spec === CNN ? Math.max(20, Math.floor(steps / 4)) : steps;
  const one = await samplesPerSecond(spec, inSize, batch, 1, nSteps);
  const many = await samplesPerSecond(spec, inSize, batch, threads, nSteps);
  console.log(`${name.padEnd(32)} 1 thread ${one.toFixed(0).padStart(7)} samples/s   ${threads} threads ${many.toFixed(0).padStart(7)} samples/s   x${(many / one).toFixed(2)}`);
}
