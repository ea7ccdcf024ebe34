/**
 * Training throughput of the Fashion-MNIST MLP (784 → dense 128 relu → dense 10 softmax,
 * Adam 1e-3, sparse categorical cross-entropy) at batch 32 and 128, in Trainyard and (when
 * /usr/bin/python3 has torch) in PyTorch at its best setting here: one thread,
 * OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from the child's
 * environment only.
 *
 * Trainyard (WebAssembly SIMD kernels) and PyTorch take turns (bench/turns.ts): `--rounds`
 * rounds of a `--steps`-step turn each, both models kept alive, so the machine's slow phases
 * hit both; it prints the medians and the spread of the per-round ratios. The plain
 * TypeScript kernels (the reference the wasm ones are tested against) are timed once.
 *
 *   node --import tsx bench/mlp.ts [--steps 100] [--rounds 10] [--batches 32,128] [--plain-steps 60]
 */
import { parseArgs } from 'node:util';
import { wasmKernels, PLAIN_KERNELS } from '../src/engine/index.ts';
import { MLP_SPEC, trainyardRate } from './models.ts';
import { torchTurns } from './torch.ts';
import { trainyardTurns, versus } from './turns.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '10' },
    batches: { type: 'string', default: '32,128' },
    'plain-steps': { type: 'string', default: '60' },
  },
});
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const batches = values.batches.split(',').map(Number);
const fmt = (v: number): string => `${v.toFixed(0).padStart(7)} samples/s`;

console.log(`MLP 784-128-10, Adam, one thread: Trainyard and PyTorch alternating, ${rounds} rounds of ${steps}-step turns per batch size`);
for (const b of batches) {
  const plain = await trainyardRate(MLP_SPEC, Number(values['plain-steps']), b, PLAIN_KERNELS);
  const ours = await trainyardTurns(MLP_SPEC, steps, b, wasmKernels);
  const theirs = await torchTurns('./torch_mlp.py', [steps, b]);
  const v = await versus(ours, theirs, rounds);
  const head = `batch ${String(b).padStart(4)}: trainyard plain ${fmt(plain)}, wasm ${fmt(v.ours)}`;
  console.log(v.theirs === null ? `${head} | ${v.summary}` : `${head} | pytorch ${fmt(v.theirs)} | trainyard/pytorch plain ${(plain / v.theirs).toFixed(2)}, wasm ${v.summary}`);
  await ours.close();
}
