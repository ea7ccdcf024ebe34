/** SpeedSplit: the deferred protocol's split of rows and units in proportion to each thread's measured speed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeedSplit } from '../../src/workers/parallel/speedSplit.ts';

function rows(s: SpeedSplit, n: number): number[] {
  const b = new Int32Array(s.threads + 1);
  s.rowBounds(n, b);
  return Array.from(b);
}

test('even until every thread has been measured', () => {
  const s = new SpeedSplit(2);
  assert.deepEqual(rows(s, 128), [0, 64, 128]);
  s.record('rows', 0, 64, 1);
  assert.deepEqual(rows(s, 128), [0, 64, 128], 'one thread measured is not enough');
});

test('a thread twice as fast gets twice the rows, in multiples of 4', () => {
  const s = new SpeedSplit(2);
  s.record('rows', 0, 64, 1);
  s.record('rows', 1, 64, 2);
  assert.deepEqual(rows(s, 128), [0, 84, 128]); // 128 * 2/3 = 85.3, to a multiple of 4
  assert.deepEqual(rows(s, 12), [0, 8, 12], 'a small batch is split to the row');
});

test('the split follows a change of speed through an exponential average', () => {
  const s = new SpeedSplit(2);
  s.record('rows', 0, 64, 1);
  s.record('rows', 1, 64, 1);
  assert.deepEqual(rows(s, 128), [0, 64, 128]);
  for (let i = 0; i < 30; i++) {
    s.record('rows', 0, 64, 1);
    s.record('rows', 1, 64, 1.5); // the helper's vCPU slows down
  }
  assert.deepEqual(rows(s, 128), [0, 76, 128]); // 128 * 0.6 = 76.8
});

test('no thread falls below a quarter of an even share, and bounds stay complete and in order', () => {
  for (const threads of [2, 3, 4]) {
    const s = new SpeedSplit(threads);
    for (let t = 0; t < threads; t++) s.record('rows', t, 10, t === threads - 1 ? 1000 : 1);
    for (const n of [1, 2, 7, 32, 128]) {
      const b = rows(s, n);
      assert.equal(b[0], 0);
      assert.equal(b[threads], n);
      for (let t = 0; t < threads; t++) assert.ok(b[t + 1] >= b[t], `threads ${threads}, ${n} rows: ${b.join(',')}`);
    }
    const b = rows(s, 128);
    assert.ok(b[threads] - b[threads - 1] >= Math.floor(128 / threads / 4) - 4, `the slow thread keeps some rows: ${b.join(',')}`);
  }
});

test('one long measurement moves the average no more than one 3x the usual', () => {
  const a = new SpeedSplit(2);
  const b = new SpeedSplit(2);
  for (const s of [a, b]) {
    s.record('rows', 0, 64, 1);
    s.record('rows', 1, 64, 1);
  }
  a.record('rows', 0, 64, 50); // e.g. a checkpoint written in a callback
  b.record('rows', 0, 64, 3);
  assert.deepEqual(rows(a, 128), rows(b, 128));
});

test('units: the same fraction of every layer, planned once per step', () => {
  const s = new SpeedSplit(2);
  s.record('units', 0, 0.5, 3);
  s.record('units', 1, 0.5, 1);
  s.planUnits();
  assert.equal(s.unitShare(0), 0.25);
  const b = new Int32Array(6);
  s.unitBounds(128, b, 0);
  s.unitBounds(10, b, 3);
  assert.deepEqual(Array.from(b), [0, 32, 128, 0, 3, 10]);
  s.record('units', 0, 0.25, 100);
  assert.equal(s.unitShare(0), 0.25, 'the plan holds until planUnits');
});
