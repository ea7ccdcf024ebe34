/**
 * The adaptive phase-A split (src/workers/parallel/splitChooser.ts), on made-up step times:
 * it tries the other split on schedule, takes it when it is faster by more than the margin,
 * goes back when the machine changes, and a few very slow steps (a checkpoint, a pause) do
 * not decide anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SplitChooser, type PhaseASplit } from '../../src/workers/parallel/splitChooser.ts';

const OPTS = { exploreEvery: 20, firstTry: 10, probe: 8, warm: 2, margin: 0.04 };

/** Runs `steps` steps, each taking `time(split, i)` ms; returns the splits that ran. */
function run(c: SplitChooser, steps: number, time: (s: PhaseASplit, i: number) => number): PhaseASplit[] {
  const ran: PhaseASplit[] = [];
  for (let i = 0; i < steps; i++) {
    const s = c.next();
    ran.push(s);
    c.record(time(s, i));
  }
  return ran;
}

test('the split chooser stays on rows while units are slower, trying them half as often after a try that changed nothing', () => {
  const c = new SplitChooser('rows', OPTS);
  const ran = run(c, 260, (s) => (s === 'rows' ? 1 : 1.1));
  assert.equal(c.current, 'rows');
  assert.deepEqual(c.switches, { rows: 0, units: 0 });
  // Tries of 8 steps: after 10 steps, then after 40 steps of rows each time (a try that
  // changes nothing doubles the wait, up to 2 x 20).
  const tries: number[] = [];
  ran.forEach((s, i) => { if (s === 'units' && ran[i - 1] !== 'units') tries.push(i); });
  assert.deepEqual(tries, [10, 58, 106, 154, 202, 250]);
  assert.equal(ran.filter((s) => s === 'units').length, 8 * 6);
});

test('the split chooser goes back to rows when they are no slower (the units split needs the margin, rows do not)', () => {
  const c = new SplitChooser('rows', OPTS);
  // Units 20% faster for 60 steps, then both the same.
  run(c, 300, (s, i) => (i < 60 && s === 'rows' ? 1.2 : 1));
  assert.equal(c.switches.units, 1);
  assert.equal(c.switches.rows, 1);
  assert.equal(c.current, 'rows');
});

test('the split chooser takes the units split when it is faster, and goes back when the rows become faster again', () => {
  const c = new SplitChooser('rows', OPTS);
  // Steps 0-99: units 30% faster (the vCPUs on cores that do not share a cache); then rows 8% faster.
  const ran = run(c, 300, (s, i) => (i < 100 ? (s === 'rows' ? 1.4 : 1) : s === 'rows' ? 0.92 : 1));
  assert.equal(ran[10], 'units');
  assert.equal(c.switches.units, 1);
  assert.equal(c.switches.rows, 1);
  assert.equal(c.current, 'rows');
  const late = ran.slice(200);
  assert.ok(late.filter((s) => s === 'rows').length > 60, 'rows run most steps again');
});

test('the split chooser keeps its split when the other is faster by less than the margin, and ignores a few very slow steps', () => {
  const within = new SplitChooser('rows', OPTS);
  run(within, 200, (s) => (s === 'rows' ? 1 : 0.98));
  assert.equal(within.current, 'rows');
  const spikes = new SplitChooser('rows', OPTS);
  // Every try of units has two 300 ms steps (a checkpoint, another fit's turn): the lower
  // quartile still sees units 20% faster.
  run(spikes, 40, (s, i) => (s === 'rows' ? 1 : i % 4 === 0 ? 300 : 0.8));
  assert.equal(spikes.current, 'units');
  const slowRows = new SplitChooser('rows', OPTS);
  // A few very slow rows steps before the try must not make a slower units split win.
  run(slowRows, 40, (s, i) => (s === 'rows' ? (i % 5 === 0 ? 300 : 1) : 1.2));
  assert.equal(slowRows.current, 'rows');
});
