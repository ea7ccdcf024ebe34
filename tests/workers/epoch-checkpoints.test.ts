/**
 * Which epochs end with a checkpoint (`training.checkpoints.minIntervalSeconds`), on a clock
 * the test sets, and the best epoch held back by the interval until the next checkpoint
 * goes out or training ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointCadence, EpochCheckpoints, type EpochCheckpoint } from '../../src/workers/tasks/epoch-checkpoints.ts';

test('0, and a job stored before the option existed, take a checkpoint every epoch', () => {
  for (const interval of [0, undefined]) {
    const c = new CheckpointCadence(interval, 1000);
    assert.deepEqual([1000, 1000.5, 1001, 5000].map((now) => c.due(now)), [true, true, true, true]);
  }
});

test('an interval counts from training\'s start, then from the last checkpoint taken, not from the last epoch', () => {
  const c = new CheckpointCadence(10, 0);
  // Epochs ending every 4 s: the first checkpoint at 12 s (10 s after the start), the next at 24 s.
  const ends = [4000, 8000, 12000, 16000, 20000, 24000, 28000];
  assert.deepEqual(ends.map((now) => c.due(now)), [false, false, true, false, false, true, false]);
});

test('epochs longer than the interval each get one', () => {
  const c = new CheckpointCadence(2, 0);
  assert.deepEqual([2500, 5000, 7000, 9001].map((now) => c.due(now)), [true, true, true, true]);
  assert.equal(c.due(9002), false);
});

/** Epochs of the given val_loss; `due[i]`: whether the interval has passed at epoch i. What each epoch posts, as epoch numbers (held ones marked keep). */
function run(valLoss: number[], due: boolean[], mode: 'min' | 'max' = 'min'): { posted: string[][]; taken: number[]; flushed: string[] } {
  let i = 0;
  const e = new EpochCheckpoints({ due: () => due[i] }, { metric: 'val_loss', mode });
  const taken: number[] = [];
  const name = (c: EpochCheckpoint) => `${c.epoch}${c.keep ? ' keep' : ''}`;
  const posted: string[][] = [];
  for (; i < valLoss.length; i++) {
    const epoch = i;
    const out = e.onEpochEnd(epoch, (epoch + 1) * 10, { loss: 1, val_loss: valLoss[i] }, () => {
      taken.push(epoch);
      return { bytes: new Uint8Array([epoch]) };
    });
    for (const c of out) assert.equal(c.bytes[0], c.epoch, 'each checkpoint carries its own epoch\'s bytes');
    posted.push(out.map(name));
  }
  return { posted, taken, flushed: e.flush(valLoss.length * 10).map(name) };
}

test('the best epoch between two checkpoints is held and goes out, marked keep, before the next one', () => {
  // Best at epoch 1 (0.5); the interval passes at epoch 3 (worse): epoch 1 goes out first.
  const r = run([0.9, 0.5, 0.7, 0.8], [false, false, false, true]);
  assert.deepEqual(r.posted, [[], [], [], ['1 keep', '3']]);
  assert.deepEqual(r.taken, [0, 1, 3], 'only improving epochs and posted ones are serialised');
  assert.deepEqual(r.flushed, []);
});

test('an improving epoch replaces the held one; one that is posted anyway leaves nothing held', () => {
  const r = run([0.9, 0.5, 0.4, 0.6], [false, false, true, false]);
  assert.deepEqual(r.posted, [[], [], ['2'], []], 'epoch 2 is the best and due: epoch 1 is not posted');
  assert.deepEqual(r.flushed, []);
});

test('a best epoch still held when training ends is flushed, unless it is the last (the final checkpoint covers it)', () => {
  assert.deepEqual(run([0.9, 0.5, 0.7], [false, false, false]).flushed, ['1 keep']);
  assert.deepEqual(run([0.9, 0.5, 0.4], [false, false, false]).flushed, []);
});

test('flushed on a failure, or when early stopping restored older weights (flush() with no covered step), even the last epoch goes out', () => {
  let i = 0;
  const e = new EpochCheckpoints({ due: () => false }, { metric: 'val_loss', mode: 'min' });
  for (; i < 3; i++) e.onEpochEnd(i, (i + 1) * 10, { val_loss: 1 - i / 10 }, () => ({ bytes: new Uint8Array(1) }));
  assert.deepEqual(e.flush().map((c) => [c.epoch, c.step, c.keep]), [[2, 30, true]]);
  assert.deepEqual(e.flush(), [], 'a held checkpoint goes out once');
});

test('mode max, ties to the later epoch, and non-finite values never count as best', () => {
  assert.deepEqual(run([0.5, 0.8, 0.8, 0.1], [false, false, false, true], 'max').posted.at(-1), ['2 keep', '3']);
  assert.deepEqual(run([0.9, Number.NaN, 0.95], [false, false, true]).posted.at(-1), ['0 keep', '2']);
});

test('without a best rule nothing is held: only due epochs are serialised', () => {
  let i = 0;
  const due = [false, true, false];
  const e = new EpochCheckpoints({ due: () => due[i] }, undefined);
  const taken: number[] = [];
  for (; i < 3; i++) {
    const epoch = i;
    e.onEpochEnd(epoch, epoch, { d_loss: 1 / (epoch + 1) }, () => {
      taken.push(epoch);
      return { bytes: new Uint8Array(1) };
    });
  }
  assert.deepEqual(taken, [1]);
  assert.deepEqual(e.flush(99), []);
});

test('a best epoch whose checkpoint is over the hold limit is posted at once (keep), not held', () => {
  let i = 0;
  const e = new EpochCheckpoints({ due: () => false }, { metric: 'val_loss', mode: 'min' }, 4);
  const sizes = [3, 5, 2];
  const posted: Array<[number, boolean]> = [];
  for (; i < 3; i++) {
    for (const c of e.onEpochEnd(i, (i + 1) * 10, { val_loss: 1 - i / 10 }, () => ({ bytes: new Uint8Array(sizes[i]) }))) posted.push([c.epoch, c.keep === true]);
  }
  assert.deepEqual(posted, [[1, true]], 'epoch 1 (5 bytes) goes out at once; epochs 0 and 2 (3 and 2 bytes) are held in turn');
  assert.deepEqual(e.flush().map((c) => c.epoch), [2]);

  const big = new EpochCheckpoints({ due: () => false }, { metric: 'val_loss', mode: 'min' }, 4);
  big.onEpochEnd(0, 10, { val_loss: 0.9 }, () => ({ bytes: new Uint8Array(3) }));
  assert.equal(big.onEpochEnd(1, 20, { val_loss: 0.5 }, () => ({ bytes: new Uint8Array(5) })).length, 1);
  assert.deepEqual(big.flush(), [], 'the held epoch 0 is no longer the best once epoch 1 went out');
});
