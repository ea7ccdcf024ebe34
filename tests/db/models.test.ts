/**
 * The generated Prisma client against both databases, opened with
 * openDatabase: every model is written and read back, BigInt/Bytes/Json/Int[]
 * and enum columns round-trip, metric values keep NaN and ±Infinity, and the
 * constraints (unique metric step, idempotency key, restrict/cascade) hold.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/database.ts';
import { insertMetricPoints } from '../../src/db/insert-metric-points.ts';
import { Prisma } from '../../src/db/generated/client.ts';
import { createTestDatabase, createTestEmbedded } from '../helpers/db.ts';

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

async function exerciseModels(t: TestContext, db: Database): Promise<void> {
  const { prisma } = db;

  const tenant = await prisma.tenant.create({ data: { name: `acme-${randomUUID()}`, limits: { maxJobs: 3 } } });
  assert.match(tenant.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(tenant.limits, { maxJobs: 3 });
  assert.ok(tenant.createdAt instanceof Date);
  const plain = await prisma.tenant.create({ data: { name: `plain-${randomUUID()}` } });
  assert.deepEqual(plain.limits, {});
  await assert.rejects(prisma.tenant.create({ data: { name: tenant.name } }), isUniqueViolation);

  const hash = createHash('sha256').update('ty_secret').digest('hex');
  const key = await prisma.apiKey.create({ data: { tenantId: tenant.id, name: 'ci', prefix: 'ty_secre', hash } });
  assert.equal(key.lastUsedAt, null);
  assert.equal(key.revokedAt, null);
  const byHash = await prisma.apiKey.findUnique({ where: { hash }, include: { tenant: true } });
  assert.equal(byHash?.tenant.name, tenant.name);
  await assert.rejects(prisma.apiKey.create({ data: { tenantId: tenant.id, prefix: 'x', hash } }), isUniqueViolation);

  const big = 2n ** 53n + 1n; // not representable as a JS number
  const dataset = await prisma.dataset.create({
    data: {
      tenantId: tenant.id,
      name: 'fashion',
      format: 'idx',
      sampleShape: [28, 28],
      labelShape: [],
      sampleCount: 3,
      numClasses: 10,
      classCounts: { 0: 1, 9: 2 },
      bytes: big,
      sha256: 'ab'.repeat(32),
    },
  });
  assert.equal(dataset.status, 'ready');
  assert.deepEqual(dataset.options, {});
  const withOptions = await prisma.dataset.create({
    data: { tenantId: tenant.id, name: 'csv', format: 'csv', options: { header: true, labelColumn: 'y' }, sampleShape: [4], labelShape: [], sampleCount: 0, bytes: 0n, sha256: '' },
  });
  assert.deepEqual(withOptions.options, { header: true, labelColumn: 'y' });
  const payload = Buffer.from([0, 1, 2, 253, 254, 255]);
  await prisma.datasetChunk.createMany({
    data: [
      { datasetId: dataset.id, part: 'x', seq: 0, data: payload },
      { datasetId: dataset.id, part: 'x', seq: 1, data: new Uint8Array([7]) },
      { datasetId: dataset.id, part: 'y', seq: 0, data: new Uint8Array([]) },
    ],
  });
  const ds = await prisma.dataset.findUniqueOrThrow({ where: { id: dataset.id }, include: { chunks: { orderBy: [{ part: 'asc' }, { seq: 'asc' }] } } });
  assert.equal(ds.bytes, big);
  assert.equal(typeof ds.bytes, 'bigint');
  assert.deepEqual(ds.sampleShape, [28, 28]);
  assert.deepEqual(ds.labelShape, []);
  assert.deepEqual(ds.classCounts, { 0: 1, 9: 2 });
  assert.deepEqual(ds.chunks.map((c) => [c.part, c.seq, Buffer.from(c.data).toString('hex')]), [
    ['x', 0, payload.toString('hex')],
    ['x', 1, '07'],
    ['y', 0, ''],
  ]);
  await assert.rejects(prisma.datasetChunk.create({ data: { datasetId: dataset.id, part: 'x', seq: 0, data: payload } }), isUniqueViolation);

  const specJson = { inputShape: [784], layers: [{ type: 'dense', units: 10, activation: 'softmax' }] };
  const spec = await prisma.modelSpec.create({ data: { tenantId: tenant.id, name: 'mlp', spec: specJson, paramCount: 7850n } });
  assert.equal(spec.paramCount, 7850n);
  await assert.rejects(prisma.modelSpec.create({ data: { tenantId: tenant.id, name: 'mlp', spec: {}, paramCount: 1n } }), isUniqueViolation);

  const job = await prisma.job.create({
    data: {
      tenantId: tenant.id,
      type: 'train',
      datasetId: dataset.id,
      modelSpecId: spec.id,
      spec: specJson,
      training: { epochs: 5, optimizer: { type: 'adam', learningRate: 0.001 } },
      maxAttempts: 3,
      idempotencyKey: 'req-1',
    },
  });
  assert.equal(job.status, 'queued');
  assert.equal(job.attempt, 0);
  assert.ok(job.updatedAt instanceof Date);
  await assert.rejects(
    prisma.job.create({ data: { tenantId: tenant.id, type: 'train', datasetId: dataset.id, spec: {}, training: {}, maxAttempts: 1, idempotencyKey: 'req-1' } }),
    isUniqueViolation,
  );
  // NULL idempotency keys do not collide.
  await prisma.job.create({ data: { tenantId: tenant.id, type: 'gan', datasetId: dataset.id, spec: {}, training: {}, maxAttempts: 1 } });
  await prisma.job.create({ data: { tenantId: tenant.id, type: 'gan', datasetId: dataset.id, spec: {}, training: {}, maxAttempts: 1 } });

  const lease = randomUUID();
  const leaseExpiresAt = new Date(Date.now() + 60_000);
  const claimed = await prisma.job.updateMany({
    where: { id: job.id, status: 'queued' },
    data: { status: 'running', attempt: { increment: 1 }, lease, leaseOwner: 'worker-1', leaseExpiresAt, startedAt: new Date(), phase: 'training' },
  });
  assert.equal(claimed.count, 1);
  await prisma.jobTransition.create({ data: { jobId: job.id, fromStatus: 'queued', toStatus: 'running', attempt: 1, reason: 'claimed' } });
  await prisma.jobTransition.create({ data: { jobId: job.id, fromStatus: 'running', toStatus: 'succeeded', attempt: 1 } });
  const transitions = await prisma.jobTransition.findMany({ where: { jobId: job.id }, orderBy: { id: 'asc' } });
  assert.deepEqual(transitions.map((x) => [x.fromStatus, x.toStatus]), [['queued', 'running'], ['running', 'succeeded']]);
  assert.equal(typeof transitions[0].id, 'bigint');
  assert.ok(transitions[1].id > transitions[0].id);

  // Metrics: every double survives, the (jobId, series, step) key is unique.
  // Through Prisma's create: non-finite values survive (-0 and Number.MAX_VALUE do not, see insertMetricPoints).
  const specials = [NaN, Infinity, -Infinity, 0, 5e-324, 1e300, 0.1];
  for (const [step, value] of specials.entries()) {
    await prisma.metricPoint.create({ data: { jobId: job.id, series: 'single', step, epoch: 0, value } });
  }
  const inserted = await insertMetricPoints(
    prisma,
    job.id,
    specials.map((value, step) => ({ series: 'loss', step, epoch: Math.floor(step / 3), value })),
  );
  assert.equal(inserted, specials.length);
  assert.equal(await insertMetricPoints(prisma, job.id, [{ series: 'loss', step: 0, epoch: 0, value: 5 }]), 0, 'a retried batch is skipped');
  for (const series of ['single', 'loss']) {
    const points = await prisma.metricPoint.findMany({ where: { jobId: job.id, series }, orderBy: { id: 'asc' } });
    assert.deepEqual(points.map((p) => p.step), specials.map((_, i) => i));
    for (const [i, p] of points.entries()) assert.ok(Object.is(p.value, specials[i]), `${series}[${i}]: ${p.value} is ${specials[i]}`);
    assert.equal(typeof points[0].id, 'bigint');
  }
  await assert.rejects(prisma.metricPoint.create({ data: { jobId: job.id, series: 'loss', step: 3, epoch: 1, value: 1 } }), isUniqueViolation);
  // The helper keeps what Prisma's create loses.
  const exact = [-0, Number.MAX_VALUE, -Number.MIN_VALUE];
  await insertMetricPoints(prisma, job.id, exact.map((value, step) => ({ series: 'exact', step, epoch: 0, value, time: new Date(Date.UTC(2026, 11, 7, 14, 30, step, 123)) })));
  const exactRead = await prisma.metricPoint.findMany({ where: { jobId: job.id, series: 'exact' }, orderBy: { step: 'asc' } });
  for (const [i, p] of exactRead.entries()) {
    assert.ok(Object.is(p.value, exact[i]), `exact[${i}]: ${p.value} is ${exact[i]}`);
    assert.equal(p.time.toISOString(), `2026-12-07T14:30:0${i}.123Z`, 'the time to the millisecond');
  }
  // Cursor paging by id.
  const firstPage = await prisma.metricPoint.findMany({ where: { jobId: job.id, series: 'loss' }, orderBy: { id: 'asc' }, take: 3 });
  const secondPage = await prisma.metricPoint.findMany({ where: { jobId: job.id, series: 'loss', id: { gt: firstPage.at(-1)!.id } }, orderBy: { id: 'asc' } });
  assert.equal(firstPage.length + secondPage.length, specials.length);

  const weights = Buffer.alloc(4096, 0xab);
  const ckpt = await prisma.checkpoint.create({
    data: { jobId: job.id, attempt: 1, epoch: 1, step: 100, kind: 'epoch', bytes: weights, size: BigInt(weights.length), sha256: createHash('sha256').update(weights).digest('hex'), metrics: { loss: 0.5 } },
  });
  const readCkpt = await prisma.checkpoint.findUniqueOrThrow({ where: { id: ckpt.id } });
  assert.ok(Buffer.from(readCkpt.bytes).equals(weights));
  assert.equal(readCkpt.size, 4096n);
  assert.deepEqual(readCkpt.metrics, { loss: 0.5 });

  await prisma.job.update({ where: { id: job.id }, data: { status: 'succeeded', finishedAt: new Date(), progress: { epoch: 5 }, latestMetrics: { loss: 0.3 } } });
  const done = await prisma.job.findUniqueOrThrow({ where: { id: job.id } });
  assert.equal(done.status, 'succeeded');
  assert.equal(done.lease, lease);
  assert.equal(done.leaseExpiresAt?.getTime(), leaseExpiresAt.getTime());
  assert.ok(done.updatedAt.getTime() >= job.updatedAt.getTime());

  // Cursor paging over jobs (tenantId, createdAt desc, id).
  const jobs = await prisma.job.findMany({ where: { tenantId: tenant.id }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
  assert.equal(jobs.length, 3);

  // A data set with jobs cannot be deleted; deleting a job cascades to its rows.
  await assert.rejects(prisma.dataset.delete({ where: { id: dataset.id } }));
  await prisma.job.delete({ where: { id: job.id } });
  assert.equal(await prisma.metricPoint.count({ where: { jobId: job.id } }), 0);
  assert.equal(await prisma.checkpoint.count({ where: { jobId: job.id } }), 0);
  assert.equal(await prisma.jobTransition.count({ where: { jobId: job.id } }), 0);

  // Interactive transactions work (and roll back).
  await assert.rejects(
    prisma.$transaction(async (tx) => {
      await tx.tenant.update({ where: { id: plain.id }, data: { name: 'renamed' } });
      throw new Error('abort');
    }),
    /abort/,
  );
  assert.equal((await prisma.tenant.findUniqueOrThrow({ where: { id: plain.id } })).name, plain.name);
  t.diagnostic(`${db.kind}: all models round-trip`);
}

test('Prisma models on Postgres', { timeout: 60_000 }, async (t) => {
  const tdb = await createTestDatabase();
  const db = await openDatabase({ databaseUrl: tdb.url, dataDir: '/nonexistent' });
  t.after(async () => {
    await db.close(); // before the drop, which would kill its connections
    await tdb.drop();
  });
  assert.equal(db.kind, 'postgres');
  await exerciseModels(t, db);
});

test('Prisma models on the embedded database', { timeout: 120_000 }, async (t) => {
  const env = createTestEmbedded();
  t.after(() => env.cleanup());
  const t0 = performance.now();
  const db = await openDatabase({ dataDir: env.dataDir });
  const firstOpen = performance.now() - t0;
  assert.equal(db.kind, 'embedded');
  try {
    await exerciseModels(t, db);
  } finally {
    await db.close();
  }
  const t1 = performance.now();
  const again = await openDatabase({ dataDir: env.dataDir });
  const reopen = performance.now() - t1;
  try {
    assert.deepEqual(again.migrations.applied, []);
    assert.equal(await again.prisma.apiKey.count(), 1, 'data persisted across reopen');
  } finally {
    await again.close();
  }
  t.diagnostic(`embedded open: first ${firstOpen.toFixed(0)} ms (migrations ${db.migrations.ms.toFixed(0)} ms), reopen ${reopen.toFixed(0)} ms`);
});

// Canary for an upstream bug (the reason insertMetricPoints exists): when this
// fails, Prisma has fixed it; then assert the values survive instead.
test('Prisma 7.10 createMany writes every non-finite float of a batch as the first one', { timeout: 60_000 }, async (t) => {
  const tdb = await createTestDatabase();
  const db = await openDatabase({ databaseUrl: tdb.url, dataDir: '/nonexistent' });
  t.after(async () => {
    await db.close(); // before the drop, which would kill its connections
    await tdb.drop();
  });
  const tenant = await db.prisma.tenant.create({ data: { name: 'x' } });
  const dataset = await db.prisma.dataset.create({ data: { tenantId: tenant.id, name: 'd', format: 'csv', sampleShape: [1], labelShape: [], sampleCount: 1, bytes: 1n, sha256: 'x' } });
  const job = await db.prisma.job.create({ data: { tenantId: tenant.id, type: 'train', datasetId: dataset.id, spec: {}, training: {}, maxAttempts: 1 } });
  const values = [Infinity, -Infinity, NaN];
  await db.prisma.metricPoint.createMany({ data: values.map((value, step) => ({ jobId: job.id, series: 'loss', step, epoch: 0, value })) });
  const read = await db.prisma.metricPoint.findMany({ where: { jobId: job.id }, orderBy: { step: 'asc' } });
  assert.deepEqual(read.map((p) => String(p.value)), ['Infinity', 'Infinity', 'Infinity']);
});
