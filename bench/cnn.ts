/**
 * Training throughput of the Fashion-MNIST CNN of examples/fashion-mnist-cnn.ts (conv2d 16
 * 3x3 relu same → maxPooling2d → conv2d 32 3x3 relu same → maxPooling2d → flatten → dense
 * 10 softmax; Adam 1e-3, sparse
 * categorical cross-entropy) at batch 64 for a fixed number of steps on random 28x28x1
 * data, in Trainyard (plain TypeScript and WebAssembly SIMD matmul kernels, through the
 * same im2col conv layers and fit loop) and in PyTorch at its best setting here: one
 * thread, OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from the
 * child's environment only, the faster of its NCHW and channels_last memory formats.
 *
 *   node --import tsx bench/cnn.ts [--steps 200] [--batch 64] [--plain-steps 60]
 */
import { parseArgs } from 'node:util';
import { wasmKernels, PLAIN_KERNELS, type MatmulKernelSet } from '../src/engine/index.ts';
import { runTorch } from './torch.ts';
import { CNN_SPEC, trainyardRate } from './models.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '200' },
    'plain-steps': { type: 'string', default: '60' },
    batch: { type: 'string', default: '64' },
  },
});
const steps = Number(values.steps);
const plainSteps = Number(values['plain-steps']);
const batch = Number(values.batch);

/** Trainyard's samples per second over `nSteps` steps (bench/models.ts). */
function trainyard(nSteps: number, kernels?: MatmulKernelSet): Promise<number> {
  return trainyardRate(CNN_SPEC, nSteps, batch, kernels);
}

function torch(): { best: number; format: string } | string {
  return runTorch<{ best: number; format: string }>('./torch_cnn.py', [String(steps), String(batch)]);
}

console.log(`CNN conv16(same)-pool-conv32(same)-pool-dense10 on 28x28x1, Adam, batch ${batch}, one thread`);
const wasm = await trainyard(steps, wasmKernels);
const plain = await trainyard(plainSteps, PLAIN_KERNELS);
const theirs = torch();
const fmt = (v: number): string => `${v.toFixed(0).padStart(6)} samples/s`;
let line = `trainyard wasm ${fmt(wasm)} (${steps} steps), plain ${fmt(plain)} (${plainSteps} steps)`;
if (typeof theirs !== 'string') {
  line += ` | pytorch ${fmt(theirs.best)} (${theirs.format}) | trainyard/pytorch wasm ${(wasm / theirs.best).toFixed(2)}, plain ${(plain / theirs.best).toFixed(2)}`;
}
console.log(line);
if (typeof theirs === 'string') console.log(theirs);
