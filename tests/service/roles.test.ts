/**
 * The service as a user runs it: `trainyard all` in a child process, in the
 * configuration the environment selects (embedded by default; Postgres and
 * Redis when DATABASE_URL and REDIS_URL are set), keys created from another
 * process while it runs, and a graceful SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runTrainyard, startTrainyard, waitForReady } from '../helpers/process.ts';
import { createTestDatabase } from '../helpers/db.ts';

const KNOWN_KEY = 'ty_test_known_key_0123456789abcdef';

test('trainyard all: starts, serves docs, takes keys from another process, stops on SIGTERM', { timeout: 240_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ty-roles-'));
  const db = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  t.after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await db?.drop();
  });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    TRAINYARD_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    TRAINYARD_API_KEY: KNOWN_KEY,
    DATABASE_URL: db?.url ?? '',
    REDIS_URL: process.env.REDIS_URL ?? '',
    TRAINYARD_QUEUE: `roles-${process.pid}-${Date.now()}`,
    TRAINYARD_SHUTDOWN_GRACE_MS: '5000',
  };
  const base = `http://127.0.0.1:${port}`;
  const proc = startTrainyard(['all'], env);
  try {
    const readyMs = await waitForReady(base, 120_000, proc);
    t.diagnostic(`ready after ${readyMs} ms (${db ? 'postgres' : 'embedded'}${process.env.REDIS_URL ? ' + redis' : ''})`);

    assert.equal((await fetch(`${base}/healthz`)).status, 200);

    const docs = (await (await fetch(`${base}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(docs.openapi, /^3\./);
    assert.ok(docs.paths['/v1/tenant'], 'the /v1 routes are in the OpenAPI document');
    assert.equal((await fetch(`${base}/docs`)).status < 400, true, 'Swagger UI is served');

    const noKey = await fetch(`${base}/v1/tenant`);
    assert.equal(noKey.status, 401);
    assert.deepEqual(await noKey.json(), { statusCode: 401, code: 'unauthorized', message: 'unauthorized' });

    const known = await fetch(`${base}/v1/tenant`, { headers: { authorization: `Bearer ${KNOWN_KEY}` } });
    assert.equal(known.status, 200);
    assert.equal(((await known.json()) as { name: string }).name, 'default');

    // keys create runs in another process while the service holds the database.
    const created = runTrainyard(['keys', 'create', '--tenant', 'acme', '--name', 'ci'], env);
    assert.equal(created.status, 0, created.stderr + created.stdout);
    const key = created.stdout.trim().split('\n').at(-1)!;
    assert.match(key, /^ty_[A-Za-z0-9_-]{43}$/);
    const acme = await fetch(`${base}/v1/tenant`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(acme.status, 200);
    assert.equal(((await acme.json()) as { name: string }).name, 'acme');

    const listed = runTrainyard(['keys', 'list', '--tenant', 'acme'], env);
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(listed.stdout.includes(key.slice(0, 9)), listed.stdout);
    assert.ok(!listed.stdout.includes(key), 'the full key is never listed');

    const revoked = runTrainyard(['keys', 'revoke', key.slice(0, 9)], env);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.equal((await fetch(`${base}/v1/tenant`, { headers: { authorization: `Bearer ${key}` } })).status, 401);

    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    const code = await proc.exited;
    assert.equal(code, 0, proc.output());
    assert.match(proc.output(), /"msg":"stopped"/);
    t.diagnostic(`SIGTERM to exit: ${Date.now() - t0} ms`);
  } finally {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  }

  const migrated = runTrainyard(['migrate'], env);
  assert.equal(migrated.status, 0, migrated.stderr);
  assert.match(migrated.stdout, /database is up to date/);

  // The CLI opens the database itself when no service holds it; the key from TRAINYARD_API_KEY persisted.
  const list = runTrainyard(['keys', 'list'], env);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /\tdefault\tTRAINYARD_API_KEY\t/);
  assert.match(list.stdout, /\tacme\tci\t.*revoked/);
});

test('trainyard refuses bad configuration and unknown commands clearly', () => {
  const bad = runTrainyard(['all'], { PORT: 'eighty' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /PORT must be a whole number/);
  const unknown = runTrainyard(['serve'], {});
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "serve"/);
  const noTenant = runTrainyard(['keys', 'create'], {});
  assert.equal(noTenant.status, 2);
  assert.match(noTenant.stderr, /--tenant NAME/);
});
