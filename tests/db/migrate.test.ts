/**
 * The engine-free migration runner on real Postgres and on PGlite: applies the
 * migrations, records them as Prisma does, re-running is a no-op, a changed
 * applied migration is refused, and a failed one blocks until resolved.
 */
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, MigrationError, readMigrations } from '../../src/db/migrate.ts';
import { createPgExecutor } from '../../src/db/pg-executor.ts';
import { createPGliteExecutor } from '../../src/db/pglite-executor.ts';
import type { SqlExecutor } from '../../src/db/sql-executor.ts';
import { createTestDatabase } from '../helpers/db.ts';

const EXPECTED_TABLES = ['api_key', 'checkpoint', 'dataset', 'dataset_chunk', 'job', 'job_transition', 'metric_point', 'model_spec', 'tenant'];

function copyMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ty-mig-'));
  cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function suite(t: TestContext, db: SqlExecutor, label: string): Promise<void> {
  const local = readMigrations();
  assert.ok(local.length >= 1);

  const first = await applyMigrations(db);
  t.diagnostic(`${label}: first apply ${first.ms.toFixed(1)} ms (${first.applied.length} migrations)`);
  assert.deepEqual(first.applied, local.map((m) => m.name));
  assert.deepEqual(first.alreadyApplied, []);

  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  assert.deepEqual(tables.map((r) => r.table_name), ['_prisma_migrations', ...EXPECTED_TABLES]);
  // Data set chunks are stored out of line and uncompressed (pglz cost 3.3x the write time for 1.6x).
  const storage = await db.query<{ attstorage: string }>(
    `SELECT attstorage FROM pg_attribute WHERE attrelid = 'dataset_chunk'::regclass AND attname = 'data'`,
  );
  assert.deepEqual(storage.map((r) => String(r.attstorage)), ['e']);

  const rows = await db.query<Record<string, unknown>>('SELECT * FROM "_prisma_migrations" ORDER BY started_at');
  assert.equal(rows.length, local.length);
  for (const [i, row] of rows.entries()) {
    assert.match(String(row.id), /^[0-9a-f-]{36}$/);
    assert.equal(row.migration_name, local[i].name);
    const file = readFileSync(join(DEFAULT_MIGRATIONS_DIR, local[i].name, 'migration.sql'));
    assert.equal(row.checksum, createHash('sha256').update(file).digest('hex'));
    assert.ok(row.finished_at instanceof Date);
    assert.ok(row.started_at instanceof Date);
    assert.equal(row.logs, null);
    assert.equal(row.rolled_back_at, null);
    assert.equal(row.applied_steps_count, 1);
  }

  const again = await applyMigrations(db);
  t.diagnostic(`${label}: re-run ${again.ms.toFixed(1)} ms`);
  assert.deepEqual(again.applied, []);
  assert.deepEqual(again.alreadyApplied, local.map((m) => m.name));
  assert.equal((await db.query('SELECT * FROM "_prisma_migrations"')).length, local.length);

  // An edited, already-applied migration is refused.
  const edited = copyMigrations();
  try {
    appendFileSync(join(edited, local[0].name, 'migration.sql'), '\n-- edited\n');
    await assert.rejects(applyMigrations(db, { migrationsDir: edited }), (err: unknown) => {
      assert.ok(err instanceof MigrationError);
      assert.equal(err.migration, local[0].name);
      assert.match(err.message, /modified after it was applied/);
      return true;
    });
  } finally {
    rmSync(edited, { recursive: true, force: true });
  }

  // A new migration applies; a failing one is recorded with its logs and then blocks.
  const extra = copyMigrations();
  try {
    mkdirSync(join(extra, '29991231000000_add_note'));
    writeFileSync(join(extra, '29991231000000_add_note', 'migration.sql'), 'ALTER TABLE "tenant" ADD COLUMN "note" TEXT;\n');
    const more = await applyMigrations(db, { migrationsDir: extra });
    assert.deepEqual(more.applied, ['29991231000000_add_note']);

    mkdirSync(join(extra, '29991231000001_broken'));
    writeFileSync(join(extra, '29991231000001_broken', 'migration.sql'), 'CREATE TABLE "ok_part" (id int);\nSELECT no_such_function();\n');
    await assert.rejects(applyMigrations(db, { migrationsDir: extra }), /29991231000001_broken failed/);
    const [failed] = await db.query<Record<string, unknown>>(
      `SELECT finished_at, logs, applied_steps_count FROM "_prisma_migrations" WHERE migration_name = '29991231000001_broken'`,
    );
    assert.equal(failed.finished_at, null);
    assert.match(String(failed.logs), /no_such_function/);
    // The script ran as one implicit transaction: its first statement was rolled back too.
    assert.equal((await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'ok_part'`)).length, 0);
    await assert.rejects(applyMigrations(db, { migrationsDir: extra }), /failed earlier and was not resolved/);
  } finally {
    rmSync(extra, { recursive: true, force: true });
  }

  // The lock was released every time.
  const locks = await db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369`);
  assert.equal(locks.length, 0);
}

test('migrations on Postgres', { timeout: 60_000 }, async (t) => {
  const tdb = await createTestDatabase();
  const client = new pg.Client({ connectionString: tdb.url });
  await client.connect();
  t.after(async () => {
    await client.end().catch(() => undefined);
    await tdb.drop();
  });
  await suite(t, createPgExecutor(client), 'postgres');
});

test('concurrent migrators on Postgres apply each migration once', { timeout: 60_000 }, async (t) => {
  const tdb = await createTestDatabase();
  const clients = [new pg.Client({ connectionString: tdb.url }), new pg.Client({ connectionString: tdb.url })];
  await Promise.all(clients.map((c) => c.connect()));
  t.after(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await tdb.drop();
  });
  const results = await Promise.all(clients.map((c) => applyMigrations(createPgExecutor(c))));
  const applied = results.flatMap((r) => r.applied).sort();
  assert.deepEqual(applied, readMigrations().map((m) => m.name));
});

test('migrations on PGlite', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ty-mig-pglite-'));
  const db = await PGlite.create(join(dir, 'pglite'));
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await suite(t, createPGliteExecutor(db), 'pglite');
});
