/**
 * Training over threads (src/workers/parallel): samples/s of the same fit with 1 thread and
 * with 2 (ParallelTrainer, the main thread + one helper, in the protocol a job takes: deferred
 * weight gradients for the MLP, the row split for the CNN), and the ratio, in one run. MLP 784-128-10
 * (Adam) at batch 128 and 32, and the CNN of bench/cnn.ts at batch 128 (fewer steps).
 *
 * On a shared VM the machine's speed changes from one second to the next (seen: x0.8 to
 * x2.5 between two 300-step fits), and so does what it gives a second thread. So each case
 * keeps its models alive and takes turns, `--steps` steps a turn, `--rounds` rounds of
 * three turns: the 1-thread fit, the `threads`-thread fit, and the 1-thread fit again with
 * `threads - 1` worker threads fitting their own copies at the same time (bench/peers.ts:
 * nothing shared, no synchronisation). That last one is the ceiling: what the machine gives
 * this very work on `threads` threads during that round. Every other protocol the model can
 * run (ParallelTrainer: deferred, row split, unit split) takes a turn too, and so does the
 * deferred protocol with its phase A fixed by rows and by units (the default chooses between
 * them as it trains, and the bench says how many steps took each); the bench prints each
 * against 1 thread and the default one against it. It prints the medians, the
 * 2-thread ratio, the spread of the per-round ratios, the ceiling's median, and the
 * share of the ceiling the 2-thread fit reached (per round, then the median).
 * It also prints, per MLP batch size, the work split alone, timed in one thread (so other
 * load barely matters): one thread's share of a 2-thread step (half the rows, half the
 * reduction and optimizer update) against the whole 1-thread step: the speedup 2 free cores
 * would give before synchronisation and memory contention.
 *
 * Each case first warms up for `--warmup` seconds (at least two rounds): V8 goes on compiling
 * the training code on its background threads for several seconds (seen: 5-8 s of turns
 * here), and a compiler thread taking a vCPU stalls a 2-thread step (the other thread waits)
 * far more than it slows one thread. A job after a worker's first one runs warm (its helper
 * threads too: src/workers/parallel/helperPool.ts), so the rounds measure that. Around each
 * case it prints how far apart the two vCPUs are (bench/core-trip.ts: a cache line's round
 * trip between two threads), which on a shared host decides much of the 2-thread ratio.
 *
 * The fits shuffle their batches each epoch, as a job does (`--no-shuffle`: in order).
 *
 *   node --import tsx bench/threads.ts [--steps 60] [--rounds 25] [--warmup 8] [--batches 128,32] [--threads 2] [--no-cnn] [--no-shuffle] [--repeat 1]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { Rng, Sequential } from '../src/engine/index.ts';
import { ParallelTrainer, type ParallelProtocol, type PhaseASplit } from '../src/workers/parallel/index.ts';
import { CNN_SPEC, MLP_SPEC } from './models.ts';
import { randomData } from './random-data.ts';
import { reduceRange } from '../src/workers/parallel/ranges.ts';
import { defaultWasmKernels } from '../src/engine/kernels/wasm/index.ts';
import { startPeers } from './peers.ts';
import { startCoreTrip } from './core-trip.ts';
import { median, quantile, ratioSpread } from './stats.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '60' },
    batches: { type: 'string', default: '128,32' },
    threads: { type: 'string', default: '2' },
    'no-cnn': { type: 'boolean', default: false },
    'no-shuffle': { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '25' },
    warmup: { type: 'string', default: '8' },
  },
});
const steps = Number(values.steps);
const batches = values.batches.split(',').map(Number);
const threads = Number(values.threads);
const rounds = Number(values.rounds);
const warmupMs = Number(values.warmup) * 1000;
/** Batches drawn in a new random order each epoch, as a job's are (`--no-shuffle`: in order, as this bench did until session 11). */
const shuffle = !values['no-shuffle'];

const MLP = MLP_SPEC;
const CNN = CNN_SPEC;

/** A compiled model (and its ParallelTrainer when threads > 1) fitting on one fixed random data set. */
/** A protocol to run, and the deferred protocol's phase-A split when fixed (ParallelTrainerOptions). */
interface Variant { protocol?: ParallelProtocol; deferredSplit?: PhaseASplit }

/** How a variant prints: the protocol, or the deferred one with its phase-A split fixed. */
function label(v: Variant): string {
  return v.deferredSplit ? `deferred by ${v.deferredSplit}` : v.protocol ?? 'deferred';
}

async function setup(spec: unknown, inSize: number, batch: number, nThreads: number, nSteps: number, variant: Variant = {}): Promise<{ fit: () => Promise<number>; close: () => Promise<void>; protocol: ParallelProtocol | null; trainer: ParallelTrainer | null }> {
  const n = nSteps * batch;
  const { x, y } = randomData(n, inSize);
  const shape = (spec as { inputShape: number[] }).inputShape;
  const model = Sequential.fromSpec(spec, { seed: 0 });
  model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  const trainer = nThreads > 1 ? await ParallelTrainer.create(model, { threads: nThreads, batchSize: batch, ...variant }) : null;
  const opts = { batchSize: batch, epochs: 1, shuffle, ...(trainer ? { gradients: trainer } : {}) };
  const xs = { data: x, shape: [n, ...shape] };
  const ys = { data: y, shape: [n] };
  return {
    protocol: trainer?.protocol ?? null,
    trainer,
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
 * 1-thread, `threads`-thread and independent-peers samples per second, interleaved: the
 * models stay alive and take turns fitting `nSteps` steps, `rounds` times (after two
 * warm-up rounds), so a slow phase of the machine (seconds long here) hits a whole round alike.
 */
async function interleaved(spec: unknown, inSize: number, batch: number, nSteps: number, rounds: number): Promise<{ ones: number[]; manys: number[]; peers: number[]; others: Map<string, number[]>; protocol: ParallelProtocol | null; splits: string }> {
  const one = await setup(spec, inSize, batch, 1, nSteps);
  let many: Awaited<ReturnType<typeof setup>> | undefined;
  const alternatives = new Map<string, Awaited<ReturnType<typeof setup>>>();
  let peers: Awaited<ReturnType<typeof startPeers>> | undefined;
  try {
    many = await setup(spec, inSize, batch, threads, nSteps);
    // The other protocols the model can run take turns too, for comparison, and the deferred
    // protocol with each of its phase-A splits fixed (the default chooses as it trains).
    const variants: Variant[] = [{ protocol: 'rowSplit' }, { protocol: 'unitSplit' }];
    if (many.protocol === 'deferred' && many.trainer?.firstLayerUnits) variants.push({ deferredSplit: 'rows' }, { deferredSplit: 'units' });
    for (const v of variants) {
      if ((v.protocol ?? 'deferred') === many.protocol && !v.deferredSplit) continue;
      const alt = await setup(spec, inSize, batch, threads, nSteps, v);
      if (alt.protocol === (v.protocol ?? 'deferred')) alternatives.set(label(v), alt);
      else await alt.close();
    }
    peers = await startPeers(threads - 1, spec as { inputShape: number[] }, inSize, batch, nSteps, shuffle);
    const n = nSteps * batch;
    const p = peers;
    const together = async (): Promise<number> => (threads * n) / ((await p.together(one.fit)) / 1000);
    const warmStart = performance.now();
    for (let k = 0; k < 2 || performance.now() - warmStart < warmupMs; k++) {
      await one.fit();
      await many.fit();
      for (const alt of alternatives.values()) await alt.fit();
      await together();
    }
    const before = { ...(many.trainer?.splitSteps ?? { rows: 0, units: 0 }) };
    const ones: number[] = [];
    const manys: number[] = [];
    const alls: number[] = [];
    const others = new Map<string, number[]>([...alternatives.keys()].map((p) => [p, []]));
    for (let k = 0; k < rounds; k++) {
      ones.push(await one.fit());
      manys.push(await many.fit());
      for (const [p, alt] of alternatives) others.get(p)?.push(await alt.fit());
      alls.push(await together());
    }
    const after = many.trainer?.splitSteps;
    const splits = after && many.trainer?.firstLayerUnits ? `, phase A by rows ${after.rows - before.rows} steps and by units ${after.units - before.units} (chosen as it trains)` : '';
    return { ones, manys, peers: alls, others, protocol: many.protocol, splits };
  } finally {
    await one.close();
    await many?.close();
    for (const alt of alternatives.values()) await alt.close();
    await peers?.close();
  }
}

/**
 * Microseconds of a whole 1-thread step and of one thread's share of a 2-thread step, both
 * timed here, alternately in 15 rounds of 20 steps each (medians), and the median per-round ratio.
 */
function workSplit(batch: number): [number, number, number] {
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
  const time = (f: () => void, n = 20): number => {
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    return ((performance.now() - t) / n) * 1000;
  };
  const whole = (): void => {
    m.computeGradients(x, y, batch);
    opt.step(m.params);
  };
  const share = (): void => {
    m.computeGradients(x, y, batch / 2, null, true, { batch, regularize: true });
    reduceRange([m.storage.grads, other], 0, half, add);
    const p = opt.beginRangeStep?.();
    if (p) opt.updateRange?.(m.params, p.lr, p.t, 0, half);
  };
  time(whole);
  time(share);
  const wholes: number[] = [];
  const shares: number[] = [];
  for (let r = 0; r < 15; r++) {
    wholes.push(time(whole));
    shares.push(time(share));
  }
  return [median(wholes), median(shares), median(wholes.map((w, k) => w / shares[k]))];
}

const cases: [string, unknown, number, number][] = batches.map((b) => [`MLP 784-128-10 batch ${b}`, MLP, 784, b]);
if (!values['no-cnn']) cases.push(['CNN (bench/cnn.ts) batch 128', CNN, 784, 128]);

const trip = await startCoreTrip();
for (let r = 0; r < Number(values.repeat); r++) {
  console.log(`fit, 1 vs ${threads} threads (the default protocol), ${rounds} rounds of turns per case (MLP ${steps} steps a turn, CNN ${Math.max(4, Math.floor(steps / 10))}), batches ${shuffle ? 'shuffled' : 'in order'}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  ceiling: ${threads} independent 1-thread fits at once, in the same rounds (what the machine gives ${threads} threads of this work now)`);
  for (const [name, spec, inSize, batch] of cases) {
    const nSteps = spec === CNN ? Math.max(4, Math.floor(steps / 10)) : steps;
    const tripBefore = trip.measure();
    const { ones, manys, peers, others, protocol, splits } = await interleaved(spec, inSize, batch, nSteps, rounds);
    const tripAfter = trip.measure();
    const one = median(ones);
    const many = median(manys);
    const ceiling = ones.map((o, k) => peers[k] / o);
    const reached = manys.map((m, k) => m / peers[k]);
    console.log(`  ${name.padEnd(30)} 1 thread ${one.toFixed(0).padStart(7)} samples/s   ${threads} threads ${many.toFixed(0).padStart(7)} samples/s   x${(many / one).toFixed(2)}` +
      ` (medians); per round: ${ratioSpread(ones.map((o, k) => manys[k] / o))}`);
    console.log(`  ${''.padEnd(30)} ceiling x${median(ceiling).toFixed(2)} (median; middle half x${quantile(ceiling, 0.25).toFixed(2)}-x${quantile(ceiling, 0.75).toFixed(2)}); ${threads} threads reached ${(100 * median(reached)).toFixed(0)}% of it (median per round)`);
    const vs = [...others].map(([p, r]) => `${p} x${median(ones.map((o, k) => r[k] / o)).toFixed(2)} (${protocol} against it x${median(manys.map((m, k) => m / r[k])).toFixed(3)})`);
    console.log(`  ${''.padEnd(30)} protocol: ${protocol} (the default${splits})` + (vs.length > 0 ? `; in the same rounds ${vs.join(', ')} (medians per round)` : ' (the only one the model can run)'));
    console.log(`  ${''.padEnd(30)} a cache line's round trip between two threads (bench/core-trip.ts): ${tripBefore.toFixed(0)} ns before the case, ${tripAfter.toFixed(0)} ns after`);
  }
  if (threads === 2) {
    for (const b of batches) {
      const [whole, share, ratio] = workSplit(b);
      console.log(`  the row split's work split, MLP batch ${b}: 1-thread step ${whole.toFixed(0)} us, one thread's share of a 2-thread step ${share.toFixed(0)} us (medians): x${ratio.toFixed(2)} (per round) with 2 free cores, before sync`);
    }
  }
}
await trip.close();
