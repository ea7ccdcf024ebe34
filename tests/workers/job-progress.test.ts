/**
 * JobProgress (the worker's bookkeeping thread side): a checkpoint is committed only after the
 * metric points of every step before it, even when commits fall behind and a newer checkpoint
 * replaces a pending one. Otherwise a crash right after the commit loses those steps' metrics
 * for good: the resumed attempt starts after the checkpoint's step. A held best checkpoint
 * (`keep`) is never coalesced away.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../helpers/app.ts';
import { seedJob, tenantIdOf } from '../api/job-outputs-helpers.ts';
import { JobProgress } from '../../src/workers/job-progress.ts';
import { createLogger } from '../../src/shared/logger.ts';
import type { StepPoint } from '../../src/workers/tasks/messages.ts';
import type { Retention } from '../../src/db/repos/checkpoints.ts';

const points = (from: number, to: number, epoch: number): StepPoint[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ step: from + i, epoch, values: { loss: 1 / (from + i) }, time: Date.now() }));

/** A seeded job and its JobProgress on a fresh test app. */
async function setup(t: TestContext, retention: Retention) {
  const app = await createTestApp();
  t.after(() => app.close());
  const prisma = app.db.prisma;
  const job = await seedJob(prisma, await tenantIdOf(prisma, 'default'));
  const progress = new JobProgress({
    prisma, jobId: job.jobId, lease: job.lease, attempt: job.attempt, samplesPerStep: 8, leaseMs: 60_000,
    retention, log: createLogger('silent', 'test'), onStop: () => undefined,
  });
  return { prisma, job, progress };
}

test('a coalesced checkpoint is committed after the metric points of the steps before it', async (t) => {
  const { prisma, job, progress } = await setup(t, { keepLast: 5 });
  const bytes = (): Uint8Array => new Uint8Array([1, 2, 3]);
  // All at once, as when short epochs outrun the database: the commit of step 10's checkpoint
  // is still queued when step 20's arrives behind the points of steps 11-20.
  progress.handle({ type: 'begin', epochs: 3, stepsPerEpoch: 10, trainSamples: 80, startEpoch: 0, startStep: 0 });
  for (let e = 0; e < 3; e++) {
    progress.handle({ type: 'steps', points: points(e * 10 + 1, e * 10 + 10, e) });
    progress.handle({ type: 'checkpoint', kind: 'epoch', epoch: e, step: e * 10 + 10, bytes: bytes(), metrics: {} });
  }
  progress.handle({ type: 'end' });
  await progress.drain();
  // xmin orders the writing transactions: every point of a step up to a checkpoint's must
  // have been written before (or with) that checkpoint.
  const rows = await prisma.$queryRaw<Array<{ step: number; cx: bigint; px: bigint }>>`
    SELECT c.step, c.xmin::text::bigint AS cx,
      (SELECT max(p.xmin::text::bigint) FROM metric_point p WHERE p.job_id = c.job_id AND p.step <= c.step) AS px
    FROM checkpoint c WHERE c.job_id = ${job.jobId}::uuid ORDER BY c.step`;
  assert.ok(rows.length >= 1, 'the newest checkpoint is committed');
  assert.equal(rows[rows.length - 1].step, 30);
  for (const r of rows) assert.ok(r.px <= r.cx, `checkpoint at step ${r.step} (xid ${r.cx}) was written before its steps' points (xid ${r.px})`);
  const n = await prisma.metricPoint.count({ where: { jobId: job.jobId, series: 'loss' } });
  assert.equal(n, 30);
});

test('a held best checkpoint (keep) is committed even when a newer one arrives before its turn', async (t) => {
  const { prisma, job, progress } = await setup(t, { keepLast: 1, best: { metric: 'val_loss', mode: 'min' } });
  const bytes = (b: number): Uint8Array => new Uint8Array([b]);
  progress.handle({ type: 'begin', epochs: 4, stepsPerEpoch: 10, trainSamples: 80, startEpoch: 0, startStep: 0 });
  progress.handle({ type: 'steps', points: points(1, 40, 0) });
  // As the training task posts them when the interval passes at epoch 3 with epoch 1 held as the best.
  progress.handle({ type: 'checkpoint', kind: 'epoch', epoch: 1, step: 20, bytes: bytes(1), metrics: { val_loss: 0.2 }, keep: true });
  progress.handle({ type: 'checkpoint', kind: 'epoch', epoch: 3, step: 40, bytes: bytes(3), metrics: { val_loss: 0.5 } });
  progress.handle({ type: 'end' });
  await progress.drain();
  const kept = await prisma.checkpoint.findMany({ where: { jobId: job.jobId }, orderBy: { step: 'asc' }, select: { step: true } });
  assert.deepEqual(kept.map((c) => c.step), [20, 40], 'the best (step 20) and the last (step 40), by the retention rule');
});
