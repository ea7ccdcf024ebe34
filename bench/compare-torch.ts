/**
 * The CNN and LSTM benches' common run: PyTorch's faster setting picked by a short one-shot
 * run of each (its script's plain mode), then Trainyard (wasm kernels) and PyTorch in that
 * setting taking turns (bench/turns.ts); the plain TypeScript kernels timed once.
 */
import { parseArgs } from 'node:util';
import { wasmKernels, PLAIN_KERNELS } from '../src/engine/index.ts';
import { trainyardRate } from './models.ts';
import { runTorch, torchTurns } from './torch.ts';
import { trainyardTurns, versus } from './turns.ts';

export interface CompareOptions {
  title: string;
  spec: { inputShape: number[] };
  /** The PyTorch script: `<steps> <batch>` prints {best, <settingKey>, ...}; `serve <steps> <batch> <setting>` takes turns. */
  script: string;
  settingKey: 'format' | 'setting';
  defaults: { steps: number; rounds: number; batch: number; plainSteps: number };
}

export async function compareWithTorch(o: CompareOptions): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: String(o.defaults.steps) },
      rounds: { type: 'string', default: String(o.defaults.rounds) },
      batch: { type: 'string', default: String(o.defaults.batch) },
      'plain-steps': { type: 'string', default: String(o.defaults.plainSteps) },
    },
  });
  const steps = Number(values.steps);
  const rounds = Number(values.rounds);
  const batch = Number(values.batch);
  const plainSteps = Number(values['plain-steps']);
  const fmt = (v: number): string => `${v.toFixed(0).padStart(6)} samples/s`;

  console.log(`${o.title}, batch ${batch}, one thread: Trainyard and PyTorch alternating, ${rounds} rounds of ${steps}-step turns`);
  const plain = await trainyardRate(o.spec, plainSteps, batch, PLAIN_KERNELS);
  const pick = runTorch<Record<string, string | number>>(o.script, [steps, batch]);
  const ours = await trainyardTurns(o.spec, steps, batch, wasmKernels);
  const theirs = typeof pick === 'string' ? pick : await torchTurns(o.script, [steps, batch, String(pick[o.settingKey])]);
  const v = await versus(ours, theirs, rounds);
  const head = `trainyard plain ${fmt(plain)} (${plainSteps} steps), wasm ${fmt(v.ours)}`;
  const setting = typeof pick === 'string' ? '' : String(pick[o.settingKey]);
  console.log(v.theirs === null ? `${head} | ${v.summary}` : `${head} | pytorch ${fmt(v.theirs)} (${setting}) | trainyard/pytorch plain ${(plain / v.theirs).toFixed(2)}, wasm ${v.summary}`);
  await ours.close();
}
