/** Checkpoint retention: the last N, the best by the job's metric, and the final one survive; a stale lease commits nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../helpers/app.ts';
import { seedJob, tenantIdOf } from '../api/job-outputs-helpers.ts';
import { commitCheckpoint, findCheckpoint, listCheckpoints } from '../../src/db/repos/checkpoints.ts';
import { LeaseLostError } from '../../src/db/repos/jobs.ts';

test('retention keeps the last N, the best and the final checkpoint; a stale lease is refused', async (t) => {
  const app = await createTestApp();
  t.after(() => app.close());
  const job = await seedJob(app.db.prisma, await tenantIdOf(app.db.prisma, 'default'));
  const retention = { keepLast: 2, best: { metric: 'val_loss', mode: 'min' as const } };
  const losses = [0.9, 0.3, 0.5, 0.6, 0.7, 0.8];
  for (let i = 0; i < losses.length; i++) {
    await commitCheckpoint(app.db.prisma, job.jobId, job.lease, { attempt: 1, epoch: i, step: (i + 1) * 10, kind: 'epoch', bytes: new Uint8Array([i]), metrics: { val_loss: losses[i] } }, retention);
  }
  await commitCheckpoint(app.db.prisma, job.jobId, job.lease, { attempt: 1, epoch: 6, step: 70, kind: 'final', bytes: new Uint8Array([9]), metrics: { val_loss: 0.75 } }, retention);
  await commitCheckpoint(app.db.prisma, job.jobId, job.lease, { attempt: 1, epoch: 7, step: 80, kind: 'epoch', bytes: new Uint8Array([8]), metrics: { val_loss: 0.95 } }, retention);
  const kept = (await listCheckpoints(app.db.prisma, job.jobId)).map((c) => `${c.kind}@${c.step}`);
  assert.deepEqual(kept, ['epoch@20', 'final@70', 'epoch@80'], 'best (step 20), final (70) and the last two (70, 80)');
  assert.equal((await findCheckpoint(app.db.prisma, job.jobId, 'best', retention.best))?.step, 20);
  assert.equal((await findCheckpoint(app.db.prisma, job.jobId, 'latest'))?.step, 80);
  assert.deepEqual(Array.from((await findCheckpoint(app.db.prisma, job.jobId, 'latest'))!.bytes), [8]);
  await assert.rejects(
    commitCheckpoint(app.db.prisma, job.jobId, 'not-the-lease', { attempt: 1, epoch: 9, step: 99, kind: 'epoch', bytes: new Uint8Array([1]), metrics: {} }, retention),
    LeaseLostError,
  );
  assert.equal((await listCheckpoints(app.db.prisma, job.jobId)).length, 3);
});
