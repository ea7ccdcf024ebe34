/**
 * Training throughput of the Fashion-MNIST LSTM of examples/fashion-mnist-lstm.ts (each
 * image as 28 rows of 28 pixels: lstm 64 → dense 10 softmax; Adam 1e-3, sparse categorical
 * cross-entropy) at batch 64 for a fixed number of steps on random [28, 28] data, in
 * Trainyard (WebAssembly SIMD and plain TypeScript matmul kernels, through the same
 * recurrent layer and fit loop) and in PyTorch at its best setting here: one thread,
 * OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from the child's
 * environment only, the faster of its oneDNN (mkldnn) RNN kernels on and off.
 * One run of each (the machine is shared: expect noise).
 *
 *   node --import tsx bench/lstm.ts [--steps 200] [--batch 64] [--plain-steps 60]
 */
import { parseArgs } from 'node:util';
import { wasmKernels, PLAIN_KERNELS, type MatmulKernelSet } from '../src/engine/index.ts';
import { runTorch } from './torch.ts';
import { LSTM_SPEC, trainyardRate } from './models.ts';

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
  return trainyardRate(LSTM_SPEC, nSteps, batch, kernels);
}

function torch(): { best: number; setting: string } | string {
  return runTorch<{ best: number; setting: string }>('./torch_lstm.py', [String(steps), String(batch)]);
}

console.log(`LSTM 64 over 28 steps of 28 features → dense 10, Adam, batch ${batch}, one thread`);
const wasm = await trainyard(steps, wasmKernels);
const plain = await trainyard(plainSteps, PLAIN_KERNELS);
const theirs = torch();
const fmt = (v: number): string => `${v.toFixed(0).padStart(6)} samples/s`;
let line = `trainyard wasm ${fmt(wasm)} (${steps} steps), plain ${fmt(plain)} (${plainSteps} steps)`;
if (typeof theirs !== 'string') {
  line += ` | pytorch ${fmt(theirs.best)} (${theirs.setting}) | trainyard/pytorch wasm ${(wasm / theirs.best).toFixed(2)}, plain ${(plain / theirs.best).toFixed(2)}`;
}
console.log(line);
if (typeof theirs === 'string') console.log(theirs);
