/**
 * Which steps a train job records its loss at (tasks/step-points.ts, LossCadence), on a
 * clock the test sets: the stride, each epoch's last step, a stop, and at least one point a
 * second however long the steps take.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LossCadence } from '../../src/workers/tasks/step-points.ts';

/** The batches (0-based) of an epoch of `steps` that record a point, `msPerStep` apart, with a stop at `stopAt`. */
function recorded(c: LossCadence, steps: number, msPerStep: number, stopAt = -1): number[] {
  const out: number[] = [];
  for (let b = 0; b < steps && b <= (stopAt < 0 ? steps : stopAt); b++) if (c.due(b, b === stopAt, (b + 1) * msPerStep)) out.push(b);
  return out;
}

test('every step when an epoch has at most 200; every ceil(steps / 200)-th and the last above', () => {
  assert.deepEqual(recorded(new LossCadence(200, undefined, 0), 200, 1), Array.from({ length: 200 }, (_, i) => i));
  const r = recorded(new LossCadence(450, undefined, 0), 450, 1);
  assert.deepEqual(r, [...Array.from({ length: 150 }, (_, i) => 3 * i + 2)]);
  const odd = recorded(new LossCadence(451, undefined, 0), 451, 1);
  assert.equal(odd.length, 151);
  assert.equal(odd.at(-1), 450, 'the short last batch');
});

test('lossEverySteps sets the stride; a stop is recorded where it came', () => {
  assert.deepEqual(recorded(new LossCadence(450, 1, 0), 450, 1).length, 450);
  assert.deepEqual(recorded(new LossCadence(450, 100, 0), 450, 1), [99, 199, 299, 399, 449]);
  assert.deepEqual(recorded(new LossCadence(450, 100, 0), 450, 1, 150), [99, 150]);
});

test('a slow job records a point at least every second, whatever the stride', () => {
  // Steps of 300 ms and a stride of 100: a point at the first step past each second since the last.
  assert.deepEqual(recorded(new LossCadence(450, 100, 0), 12, 300), [3, 7, 11]);
  // A stride point resets the clock.
  const c = new LossCadence(450, 2, 0);
  assert.equal(c.due(1, false, 900), true);
  assert.equal(c.due(2, false, 1800), false, '900 ms after the stride point');
  assert.equal(c.due(3, false, 1850), true);
});
