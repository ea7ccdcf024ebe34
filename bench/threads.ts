/**
 * Data-parallel training over threads (src/workers/parallel): samples/s of the same fit
 * with 1 thread and with 2 (ParallelTrainer: the main thread + one helper on the shared
 * weights, the optimizer update on the helper), and the ratio, in one run. MLP 784-128-10
 * (Adam) at batch 128 and 32, and the CNN of bench/cnn.ts at batch 128 (fewer steps).
 *
 * On a shared VM the machine's speed changes from one second to the next (seen: x0.8 to
 * x2.5 between two 300-step fits), so each case keeps a 1-thread and a 2-thread model alive
 * and lets them take turns: `--steps` steps each, `--rounds` pairs of turns. It prints the
 * medians, their ratio and the spread of the per-pair ratios. Before the cases the run measures what the
 * machine gives a second thread right now (bench/capacity.ts): the engine's wasm SIMD GEMM
 * in 1 worker against 2 at once, and a scalar JS loop (which reads ~x2 even when the two
 * vCPUs share one core's SIMD units). A ratio near the SIMD capacity is as good as it gets.
 * It also prints, per MLP batch size, the work split alone, timed in one thread (so other
 * load barely matters): one thread's share of a 2-thread step (half the rows, half the
 * reduction and optimizer update) against the whole 1-thread step: the speedup 2 free cores
 * would give before synchronisation and memory contention.
 *
 *   node --import tsx bench/threads.ts [--steps 60] [--rounds 25] [--batches 128,32] [--threads 2] [--no-cnn] [--repeat 1]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { Rng, Sequential } from '../src/engine/index.ts';
import { ParallelTrainer } from '../src/workers/parallel/index.ts';
import { CNN_SPEC, MLP_SPEC } from './models.ts';
import { randomData } from './random-data.ts';
import { reduceRange } from '../src/workers/parallel/ranges.ts';
import { defaultWasmKernels } from '../src/engine/kernels/wasm/index.ts';
import { capacity } from './capacity.ts';
import { median, ratioSpread } from './stats.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '60' },
    batches: { type: 'string', default: '128,32' },
    threads: { type: 'string', default: '2' },
    'no-cnn': { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '25' },
  },
});
const steps = Number(values.steps);
const batches = values.batches.split(',').map(Number);
const threads = Number(values.threads);
const rounds = Number(values.rounds);

const MLP = MLP_SPEC;
const CNN = CNN_SPEC;

/** A compiled model (and its ParallelTrainer when threads > 1) fitting on one fixed random data set. */
async function setup(spec: unknown, inSize: number, batch: number, nThreads: number, nSteps: number): Promise<{ fit: () => Promise<number>; close: () => Promise<void> }> {
  const n = nSteps * batch;
  const { x, y } = randomData(n, inSize);
  const shape = (spec as { inputShape: number[] }).inputShape;
  const model = Sequential.fromSpec(spec, { seed: 0 });
  model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  const trainer = nThreads > 1 ? await ParallelTrainer.create(model, { threads: nThreads, batchSize: batch }) : null;
  const opts = { batchSize: batch, epochs: 1, shuffle: false, ...(trainer ? { gradients: trainer } : {}) };
  const xs = { data: x, shape: [n, ...shape] };
  const ys = { data: y, shape: [n] };
  return {
    /** One epoch of `nSteps` steps; samples per second. */
    fit: async () => {
      const t = performance.now();
      await model.fit(xs, ys, opts);
      return n / ((performance.now() - t) / 1000);
    },
    close: async () => {
      await trainer?.close();
      model.dispose();
    },
  };
}

/**
 * 1-thread and `threads`-thread samples per second, interleaved: both models stay alive and
 * take turns fitting `nSteps` steps, `pairs` times (after two warm-up turns each), so a slow
 * phase of the machine (seconds long here) hits both sides of a pair alike.
 */
async function interleaved(spec: unknown, inSize: number, batch: number, nSteps: number, pairs: number): Promise<{ ones: number[]; manys: number[] }> {
  const one = await setup(spec, inSize, batch, 1, nSteps);
  const many = await setup(spec, inSize, batch, threads, nSteps);
  try {
    for (let k = 0; k < 2; k++) {
      await one.fit();
      await many.fit();
    }
    const ones: number[] = [];
    const manys: number[] = [];
    for (let k = 0; k < pairs; k++) {
      ones.push(await one.fit());
      manys.push(await many.fit());
    }
    return { ones, manys };
  } finally {
    await one.close();
    await many.close();
  }
}

/** Microseconds of a whole 1-thread step, and of one thread's share of a 2-thread step, both timed here. */
function workSplit(batch: number): [number, number] {
  const rng = new Rng(1);
  const x = new Float32Array(batch * 784).map(() => rng.float());
  const y = new Float32Array(batch).map(() => rng.int(10));
  const m = Sequential.fromSpec(MLP, { seed: 0 });
  m.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  const opt = m.optimizer;
  if (!opt?.shareSlots || !opt.beginRangeStep || !opt.updateRange) throw new Error('adam has no range steps');
  // Slots and the second gradient in the model's wasm memory, as ParallelTrainer puts them.
  opt.shareSlots(m.params, (n) => m.allocateScratch(n));
  const other = m.allocateScratch(m.paramCount);
  const add = (dst: Float32Array, src: Float32Array, n: number): void => defaultWasmKernels().addInto(dst, src, n);
  const half = Math.floor(m.paramCount / 2);
  const time = (f: () => void, n = 200): number => {
    for (let i = 0; i < 20; i++) f();
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    return ((performance.now() - t) / n) * 1000;
  };
  const whole = time(() => {
    m.computeGradients(x, y, batch);
    opt.step(m.params);
  });
  const share = time(() => {
    m.computeGradients(x, y, batch / 2, null, true, { batch, regularize: true });
    reduceRange([m.storage.grads, other], 0, half, add);
    const p = opt.beginRangeStep?.();
    if (p) opt.updateRange?.(m.params, p.lr, p.t, 0, half);
  });
  return [whole, share];
}

const cases: [string, unknown, number, number][] = batches.map((b) => [`MLP 784-128-10 batch ${b}`, MLP, 784, b]);
if (!values['no-cnn']) cases.push(['CNN (bench/cnn.ts) batch 128', CNN, 784, 128]);

for (let r = 0; r < Number(values.repeat); r++) {
  const cap = await capacity(threads);
  console.log(`data-parallel fit, 1 vs ${threads} threads, ${rounds} pairs of turns per case (MLP ${steps} steps a turn, CNN ${Math.max(4, Math.floor(steps / 10))}); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  the machine's ${threads}-thread capacity now: wasm SIMD GEMM x${cap.simd.toFixed(2)}, scalar JS x${cap.scalar.toFixed(2)}`);
  for (const [name, spec, inSize, batch] of cases) {
    const nSteps = spec === CNN ? Math.max(4, Math.floor(steps / 10)) : steps;
    const { ones, manys } = await interleaved(spec, inSize, batch, nSteps, rounds);
    const one = median(ones);
    const many = median(manys);
    console.log(`  ${name.padEnd(30)} 1 thread ${one.toFixed(0).padStart(7)} samples/s   ${threads} threads ${many.toFixed(0).padStart(7)} samples/s   x${(many / one).toFixed(2)}` +
      ` (medians); per pair: ${ratioSpread(ones.map((o, k) => manys[k] / o))}`);
  }
  if (threads === 2) {
    for (const b of batches) {
      const [whole, share] = workSplit(b);
      console.log(`  work split, MLP batch ${b}: 1-thread step ${whole.toFixed(0)} us, one thread's share of a 2-thread step ${share.toFixed(0)} us: x${(whole / share).toFixed(2)} with 2 free cores, before sync`);
    }
  }
}
