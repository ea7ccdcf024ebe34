/**
 * Training throughput of the Fashion-MNIST MLP (784 → dense 128 relu → dense 10 softmax,
 * Adam 1e-3, sparse categorical cross-entropy) for a fixed number of steps, at batch 32
 * and 128, in Trainyard and (when /usr/bin/python3 has torch) in PyTorch at its best
 * setting here: one thread, OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
 * removed from the child's environment only.
 *
 * Trainyard runs twice: with the plain TypeScript matmul kernels and with the WebAssembly
 * SIMD ones (src/engine/kernels/wasm), both through the same layers and fit loop.
 *
 *   node --import tsx bench/mlp.ts [--steps 600] [--batches 32,128]
 */
import { parseArgs } from 'node:util';
import { Rng, Sequential, wasmKernels, PLAIN_KERNELS, type MatmulKernelSet } from '../src/engine/index.ts';
import { runTorch } from './torch.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '600' },
    batches: { type: 'string', default: '32,128' },
  },
});
const steps = Number(values.steps);
const batches = values.batches.split(',').map(Number);

const spec = {
  inputShape: [784],
  layers: [{ type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
};

async function trainyard(batch: number, kernels?: MatmulKernelSet): Promise<number> {
  const n = steps * batch;
  const rng = new Rng(1);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = rng.float();
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.int(10);
  const model = Sequential.fromSpec(spec, { seed: 0, ...(kernels ? { kernels } : {}) });
  model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  const warm = Math.min(20, steps) * batch;
  await model.fit({ data: x.subarray(0, warm * 784), shape: [warm, 784] }, { data: y.subarray(0, warm), shape: [warm] }, { batchSize: batch });
  const t = performance.now();
  await model.fit({ data: x, shape: [n, 784] }, { data: y, shape: [n] }, { batchSize: batch, epochs: 1 });
  return n / ((performance.now() - t) / 1000);
}

function torch(): Record<string, number> | string {
  return runTorch<Record<string, number>>('./torch_mlp.py', [String(steps), ...batches.map(String)]);
}

console.log(`MLP 784-128-10, Adam, ${steps} steps per batch size, one thread`);
const plain: Record<number, number> = {};
const wasm: Record<number, number> = {};
for (const b of batches) {
  plain[b] = await trainyard(b, PLAIN_KERNELS);
  wasm[b] = await trainyard(b, wasmKernels);
}
const theirs = torch();
const fmt = (v: number): string => `${v.toFixed(0).padStart(7)} samples/s`;
for (const b of batches) {
  const t = typeof theirs === 'string' ? undefined : theirs[String(b)];
  let line = `batch ${String(b).padStart(4)}: trainyard plain ${fmt(plain[b])}, wasm ${fmt(wasm[b])}`;
  if (t !== undefined) line += ` | pytorch ${fmt(t)} | trainyard/pytorch plain ${(plain[b] / t).toFixed(2)}, wasm ${(wasm[b] / t).toFixed(2)}`;
  console.log(line);
}
if (typeof theirs === 'string') console.log(theirs);
