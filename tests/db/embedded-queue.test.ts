/**
 * BullMQ's PostgreSQL backend on the embedded database through PGlitePool:
 * LISTEN/NOTIFY inside one PGlite instance, transaction exclusivity, the
 * search_path isolation from Trainyard's own `job` table, and a Queue + Worker
 * round trip whose latency shows the worker is woken by NOTIFY, not polling.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, Worker, createPostgresBackend } from 'bullmq';
import type { Job } from 'bullmq';
import { openDatabase } from '../../src/db/open.ts';
import type { Database } from '../../src/db/database.ts';
import type { PGlitePool, PGlitePoolClient } from '../../src/db/pglite-pool.ts';
import { prepareQueueSchema } from '../../src/db/queue-schema.ts';
import { createTestDatabase, createTestEmbedded } from '../helpers/db.ts';

interface JobData {
  n: number;
  sentAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Queue + Worker round trip on `db.queuePool`; returns add->processor latencies in ms. */
async function completedValue(queue: { getJob(id: string): Promise<Job | undefined> }, id: string): Promise<unknown> {
  for (;;) {
    // finishedOn and returnvalue come from the same read, so they agree.
    const job = await queue.getJob(id);
    if (job?.finishedOn) return job.returnvalue;
    await sleep(20);
  }
}

async function roundTrip(t: TestContext, db: Database, label: string): Promise<void> {
  const name = `ty-${label}-${process.pid}-${Date.now()}`;
  const connection = { connection: db.queuePool };
  const queue = new Queue(name, connection, createPostgresBackend);
  const latencies: number[] = [];
  const seen = new Map<number, () => void>();
  // Type arguments are inferred from createPostgresBackend (explicit ones defeat the overloads).
  const worker = new Worker(
    name,
    async (job: Job<JobData, number>) => {
      latencies.push(Date.now() - job.data.sentAt);
      seen.get(job.data.n)?.();
      return job.data.n * 2;
    },
    // drainDelay: how long an idle worker blocks; only NOTIFY can wake it sooner.
    { ...connection, drainDelay: 30 },
    createPostgresBackend,
  );
  const errors: Error[] = [];
  worker.on('error', (e) => errors.push(e));
  try {
    await Promise.all([worker.waitUntilReady(), queue.waitUntilReady()]);
    await sleep(300); // let the worker settle into its blocking wait

    const runs = 10;
    for (let n = 0; n < runs; n++) {
      const processed = new Promise<void>((resolve) => seen.set(n, resolve));
      const job = await queue.add('train', { n, sentAt: Date.now() } satisfies JobData);
      await processed;
      // Read the result from the store rather than through QueueEvents' notification, which
      // BullMQ's PostgreSQL backend can deliver late on a loaded machine.
      assert.equal(await completedValue(queue, job.id!), n * 2);
      await sleep(100); // idle again, so the next add must wake a blocked worker
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    t.diagnostic(`${label} queue add -> processor start: median ${median} ms, max ${sorted.at(-1)} ms over ${runs} jobs`);
    // No timing threshold: an idle worker blocks for drainDelay (30 s) unless NOTIFY wakes it, so
    // without wake-ups ten jobs could not finish inside this test's timeout.
    assert.deepEqual(await queue.getJobCounts('completed', 'failed'), { completed: runs, failed: 0 });
    assert.deepEqual(errors, []);
    // Trainyard's data is untouched by the queue.
    assert.equal(await db.prisma.job.count(), 0);
  } finally {
    await worker.close();
    await queue.close();
  }
}

test('embedded database: BullMQ queue on PGlite', { timeout: 180_000 }, async (t) => {
  const env = createTestEmbedded();
  const db = await openDatabase({ dataDir: env.dataDir });
  t.after(async () => {
    await db.close();
    env.cleanup();
  });
  assert.equal(db.kind, 'embedded');
  const pool = db.queuePool as unknown as PGlitePool;

  await t.test('LISTEN on a client receives NOTIFY sent through the pool', async () => {
    const client = (await pool.connect()) as PGlitePoolClient;
    const got: { channel: string; payload?: string }[] = [];
    client.on('notification', (m: { channel: string; payload?: string }) => got.push(m));
    await client.query('-- comment first, as in BullMQ\nLISTEN ty_test_chan;\n');
    await pool.query(`SELECT pg_notify('ty_test_chan', $1)`, ['hello']);
    await pool.query(`NOTIFY ty_test_chan, 'again'`);
    for (let i = 0; i < 50 && got.length < 2; i++) await sleep(10);
    assert.deepEqual(got.map((m) => [m.channel, m.payload]), [['ty_test_chan', 'hello'], ['ty_test_chan', 'again']]);
    await client.query('UNLISTEN ty_test_chan');
    await pool.query(`SELECT pg_notify('ty_test_chan', 'after')`);
    await sleep(50);
    assert.equal(got.length, 2, 'no notification after UNLISTEN');
    client.release();
  });

  await t.test('results look like pg: int8 as string, multi-statement scripts', async () => {
    const r = await pool.query<{ big: string; n: number; bigs: string[] }>(
      `SELECT 9007199254740993::int8 AS big, 2::int4 AS n, '{1,NULL,9007199254740993}'::int8[] AS bigs`,
    );
    assert.deepEqual(r.rows, [{ big: '9007199254740993', n: 2, bigs: ['1', null, '9007199254740993'] }]);
    assert.equal(r.rowCount, 1);
    const multi = (await pool.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as { rows: unknown[] }[];
    assert.ok(Array.isArray(multi));
    assert.deepEqual(multi.map((x) => x.rows), [[{ a: 1 }], [{ b: 2 }]]);
  });

  await t.test('a client inside BEGIN holds the instance until COMMIT; an idle client blocks nobody', async () => {
    const idle = await pool.connect();
    await idle.query('LISTEN ty_idle');
    const tenant = await db.prisma.tenant.create({ data: { name: 'tx-test' } });
    const client = await pool.connect();
    await client.query('BEGIN');
    await client.query(`UPDATE public.tenant SET name = 'tx-test-2' WHERE id = $1`, [tenant.id]);
    let readDone = false;
    const read = db.prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } }).then((x) => {
      readDone = true;
      return x;
    });
    await sleep(150);
    assert.equal(readDone, false, 'Prisma waits while the transaction is open');
    await client.query('COMMIT');
    assert.equal((await read).name, 'tx-test-2', 'and then sees the committed row');

    await client.query('BEGIN');
    await client.query(`UPDATE public.tenant SET name = 'rolled-back' WHERE id = $1`, [tenant.id]);
    await client.query('ROLLBACK');
    assert.equal((await db.prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).name, 'tx-test-2');

    // A transaction left open by a released client is rolled back, not leaked.
    await client.query('BEGIN');
    await client.query(`UPDATE public.tenant SET name = 'leaked' WHERE id = $1`, [tenant.id]);
    client.release();
    assert.equal((await db.prisma.tenant.findUniqueOrThrow({ where: { id: tenant.id } })).name, 'tx-test-2');
    idle.release();
  });

  await t.test('BullMQ schema: migrated through the pool, isolated from our `job` table', async () => {
    const t0 = performance.now();
    const version = await prepareQueueSchema(db.queuePool);
    t.diagnostic(`BullMQ schema v${version} in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.ok(version >= 1);
    assert.equal(await prepareQueueSchema(db.queuePool), version, 'idempotent');
    // Both schemas have a `job` table; ours stays the unqualified one outside the pool.
    const [ours] = await db.executor.query<{ n: string }>(`SELECT count(*)::text AS n FROM job`);
    assert.equal(ours.n, '0');
    assert.equal(await db.prisma.job.count(), 0);
    const [path] = await db.executor.query<{ search_path: string }>('SHOW search_path');
    assert.doesNotMatch(path.search_path, /bullmq/);
  });

  await t.test('Queue + Worker round trip, woken by NOTIFY', (st) => roundTrip(st, db, 'embedded'));
});

test('Postgres database: BullMQ queue on Database.queuePool', { timeout: 60_000 }, async (t) => {
  const tdb = await createTestDatabase();
  const db = await openDatabase({ databaseUrl: tdb.url, dataDir: '/nonexistent' });
  t.after(async () => {
    await db.close(); // before the drop, which would kill its connections
    await tdb.drop();
  });
  assert.ok((await prepareQueueSchema(db.queuePool)) >= 1);
  await roundTrip(t, db, 'postgres');
  // BullMQ's tables went to the bullmq schema; ours are untouched.
  const [row] = await db.executor.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'bullmq' AND table_name = 'job'`);
  assert.equal(row.n, 1);
  assert.equal(await db.prisma.job.count(), 0);
});
