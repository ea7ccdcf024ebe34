/**
 * The one definition of the best checkpoint (src/db/repos/checkpoint-choice.ts), which the
 * training thread's held best epoch (src/workers/tasks/epoch-checkpoints.ts) shares: by the
 * rule's mode, ties to the later checkpoint, values that are not numbers ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atLeastAsGood, bestOf, bestRule } from '../../src/db/repos/checkpoint-choice.ts';
import { CheckpointCadence, EpochCheckpoints } from '../../src/workers/tasks/epoch-checkpoints.ts';
import type { CheckpointInfo } from '../../src/db/repos/checkpoints.ts';

const ck = (step: number, v: number | null): CheckpointInfo => ({
  id: `c${step}`, attempt: 1, epoch: step / 10 - 1, step, kind: 'epoch', size: 1, sha256: '', metrics: { val_loss: v }, createdAt: new Date(step),
});

test('bestOf: the mode decides, ties go to the later step, null values are skipped', () => {
  const list = [ck(10, 0.5), ck(20, 0.3), ck(30, null), ck(40, 0.3), ck(50, 0.4)];
  assert.equal(bestOf(list, { metric: 'val_loss', mode: 'min' })?.step, 40);
  assert.equal(bestOf(list, { metric: 'val_loss', mode: 'max' })?.step, 10);
  assert.equal(bestOf(list, undefined), undefined);
});

test('the training thread holds the epoch the service would call best, for the same values', () => {
  const values = [0.5, 0.3, 0.3, 0.4, 0.2, 0.2, 0.6];
  for (const mode of ['min', 'max'] as const) {
    const held = new EpochCheckpoints(new CheckpointCadence(3600, 0), { metric: 'val_loss', mode });
    values.forEach((v, i) => held.onEpochEnd(i, (i + 1) * 10, { val_loss: v }, () => ({ bytes: new Uint8Array(1) })));
    const service = bestOf(values.map((v, i) => ck((i + 1) * 10, v)), { metric: 'val_loss', mode });
    assert.equal(held.flush()[0]?.step, service?.step, mode);
  }
  assert.equal(atLeastAsGood(0.3, 0.3, 'min'), true);
  assert.equal(atLeastAsGood(0.4, 0.3, 'min'), false);
  assert.equal(atLeastAsGood(0.4, 0.3, 'max'), true);
});

test('bestRule reads the stored training config (GAN jobs without bestMetric have none)', () => {
  assert.deepEqual(bestRule({ checkpoints: { keepLast: 3, bestMetric: 'val_accuracy', mode: 'max' } }), { metric: 'val_accuracy', mode: 'max' });
  assert.deepEqual(bestRule({ checkpoints: { keepLast: 3, bestMetric: 'loss' } }), { metric: 'loss', mode: 'min' });
  assert.equal(bestRule({ checkpoints: { keepLast: 3 } }), undefined);
});
