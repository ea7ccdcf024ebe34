/**
 * Taking turns: two trainings kept alive (their models, data and warm JIT) and measured
 * alternately, a turn each per round, so a slow phase of a shared machine (it lasts
 * seconds here, and moves a single figure by 2x) hits both sides of a round alike. The
 * benches print the medians and the spread of the per-round ratios.
 */
import { Sequential, type MatmulKernelSet } from '../src/engine/index.ts';
import { randomData } from './random-data.ts';
import { median, ratioSpread } from './stats.ts';

export interface Turns {
  /** Trains one turn's steps; that turn's samples per second. */
  turn(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Trainyard fitting `steps` steps of `batch` random rows per turn (Adam 1e-3, 10 classes),
 * after `warmSteps` steps of warm-up (100: long enough for V8 to tier the wasm kernels up
 * from Liftoff; a run measured right after start-up read 35% low).
 */
export async function trainyardTurns(spec: { inputShape: number[] }, steps: number, batch: number, kernels?: MatmulKernelSet, warmSteps = 100): Promise<Turns> {
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`steps per turn must be a positive integer, got ${steps}`);
  const size = spec.inputShape.reduce((a, b) => a * b, 1);
  const n = steps * batch;
  const { x, y } = randomData(n, size);
  const model = Sequential.fromSpec(spec, { seed: 0, ...(kernels ? { kernels } : {}) });
  model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  const fitRows = (rows: number): Promise<unknown> =>
    model.fit({ data: x.subarray(0, rows * size), shape: [rows, ...spec.inputShape] }, { data: y.subarray(0, rows), shape: [rows] }, { batchSize: batch, epochs: 1 });
  for (let done = 0; done < warmSteps; done += steps) await fitRows(Math.min(steps, warmSteps - done) * batch);
  return {
    turn: async () => {
      const t = performance.now();
      await fitRows(n);
      return n / ((performance.now() - t) / 1000);
    },
    close: async () => model.dispose(),
  };
}

interface Alternated {
  ours: number[];
  theirs: number[];
  /** `ours` over `theirs`: medians, and the per-round spread. */
  summary: string;
}

/**
 * `rounds` rounds of one turn each (ours first), after one round that is not recorded: the
 * sides warm up differently (Trainyard 100 steps, PyTorch 20, TF.js 5), so the first turns
 * could favour one. Closes neither side.
 */
async function alternate(ours: Turns, theirs: Turns, rounds: number): Promise<Alternated> {
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error(`rounds must be a positive integer, got ${rounds}`);
  await ours.turn();
  await theirs.turn();
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await ours.turn());
    b.push(await theirs.turn());
  }
  const summary = `x${(median(a) / median(b)).toFixed(2)} (medians); per round: ${ratioSpread(a.map((v, k) => v / b[k]))}`;
  return { ours: a, theirs: b, summary };
}

export interface Versus {
  /** Our median samples per second. */
  ours: number;
  /** Theirs, or null when they could not run. */
  theirs: number | null;
  /** `alternate`'s summary, or why they could not run. */
  summary: string;
}

/**
 * Ours against theirs by `alternate`, then closes theirs; when theirs is a reason they could
 * not start (PyTorch missing, say), ours runs `rounds` turns alone and the reason is the summary.
 */
export async function versus(ours: Turns, theirs: Turns | string, rounds: number): Promise<Versus> {
  if (typeof theirs === 'string') {
    const alone: number[] = [];
    for (let r = 0; r < rounds; r++) alone.push(await ours.turn());
    return { ours: median(alone), theirs: null, summary: theirs };
  }
  try {
    const alt = await alternate(ours, theirs, rounds);
    return { ours: median(alt.ours), theirs: median(alt.theirs), summary: alt.summary };
  } finally {
    await theirs.close();
  }
}
