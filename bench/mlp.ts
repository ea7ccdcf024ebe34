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
import { wasmKernels, PLAIN_KERNELS, type MatmulKernelSet } from '../src/engine/index.ts';
import { trainyardMlp } from './trainyard-mlp.ts';
import { runTorch } from './torch.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '600' },
    batches: { type: 'string', default: '32,128' },
  },
});
const steps = Number(values.steps);
const batches = values.batches.split(',').map(Number);

const trainyard = (batch: number, kernels?: MatmulKernelSet): Promise<number> => trainyardMlp(steps, batch, kernels);

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
