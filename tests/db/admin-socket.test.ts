/**
 * `trainyard keys create` while a service holds the embedded database: the
 * holder serves it on a unix socket; openDatabaseForAdmin in another process
 * goes through that socket, and opens the files directly once nobody holds
 * them (including after the holder was killed and left a stale lock).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase } from '../../src/db/open.ts';
import { openDatabaseForAdmin } from '../../src/db/open-admin.ts';
import { EmbeddedDatabaseBusyError, lockPath } from '../../src/db/embedded-lock.ts';
import { createTestEmbedded } from '../helpers/db.ts';

const FIXTURE = fileURLToPath(new URL('./hold-embedded.fixture.ts', import.meta.url));

interface Holder {
  proc: ChildProcessWithoutNullStreams;
  next(): Promise<string>;
  exited: Promise<number | null>;
}

/** Spawns a holder; it is added to `all` at once so the test can always kill it. */
async function startHolder(dataDir: string, all: Holder[]): Promise<Holder> {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const queue: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const w = waiters.shift();
    if (w) w(line);
    else queue.push(line);
  });
  const next = () =>
    queue.length > 0
      ? Promise.resolve(queue.shift()!)
      : Promise.race([
          new Promise<string>((resolve) => waiters.push(resolve)),
          exited.then((code) => {
            throw new Error(`holder exited (${code}): ${stderr}`);
          }),
        ]);
  const holder = { proc, next, exited };
  all.push(holder);
  const ready = await next();
  assert.match(ready, /^ready /);
  return holder;
}

test('admin access to a held embedded database', { timeout: 180_000 }, async (t) => {
  const env = createTestEmbedded();
  const holders: Holder[] = [];
  t.after(async () => {
    for (const h of holders) h.proc.kill('SIGKILL');
    await Promise.all(holders.map((h) => h.exited));
    env.cleanup(); // only once no child can write into it any more
  });

  const holder = await startHolder(env.dataDir, holders);
  const lock = JSON.parse(readFileSync(lockPath(env.dataDir), 'utf8')) as { pid: number; socketDir: string };
  assert.equal(lock.pid, holder.proc.pid);
  assert.ok(existsSync(`${lock.socketDir}/.s.PGSQL.5432`));

  // This process cannot open the held files itself.
  await assert.rejects(openDatabase({ dataDir: env.dataDir }), EmbeddedDatabaseBusyError);

  // Admin through the socket, as `trainyard keys create` does.
  const t0 = performance.now();
  const admin = await openDatabaseForAdmin({ dataDir: env.dataDir });
  const connectMs = performance.now() - t0;
  assert.equal(admin.via, 'socket');
  assert.equal(admin.kind, 'embedded');
  try {
    // What `keys create` does: upsert the tenant, then insert the key.
    const tenant = await admin.prisma.tenant.upsert({ where: { name: 'acme' }, create: { name: 'acme' }, update: {} });
    assert.equal((await admin.prisma.tenant.upsert({ where: { name: 'acme' }, create: { name: 'acme' }, update: {} })).id, tenant.id);
    const hash = createHash('sha256').update('ty_admin_key').digest('hex');
    await admin.prisma.apiKey.create({ data: { tenantId: tenant.id, name: 'ci', prefix: 'ty_admin', hash } });
    const found = await admin.prisma.apiKey.findUnique({ where: { hash }, select: { prefix: true, tenant: { select: { name: true } } } });
    assert.deepEqual(found, { prefix: 'ty_admin', tenant: { name: 'acme' } });
    const rows = await admin.executor.query<{ n: number }>('SELECT count(*)::int AS n FROM api_key WHERE revoked_at IS NULL');
    assert.deepEqual(rows, [{ n: 1 }]);
  } finally {
    await admin.close();
  }
  t.diagnostic(`admin via socket: connected in ${connectMs.toFixed(0)} ms`);

  // The holder sees the key written through the socket.
  holder.proc.stdin.write('count\n');
  assert.equal(await holder.next(), 'count 1');

  // An admin statement waits for the holder's open transaction instead of
  // landing inside it (and vanishing with its rollback).
  const during = await openDatabaseForAdmin({ dataDir: env.dataDir }); // connected before: a connect would wait too
  holder.proc.stdin.write('tx-open\n');
  assert.equal(await holder.next(), 'tx-opened');
  try {
    let written = false;
    const write = during.prisma.tenant.create({ data: { name: 'written-during-tx' } }).then(() => (written = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(written, false, 'the socket statement waits for the transaction');
    holder.proc.stdin.write('tx-rollback\n');
    assert.equal(await holder.next(), 'tx-rolled-back');
    await write;
    const names = (await during.prisma.tenant.findMany({ orderBy: { name: 'asc' } })).map((x) => x.name);
    assert.deepEqual(names, ['acme', 'written-during-tx']);
  } finally {
    await during.close();
  }

  // A socket client's own transaction keeps the holder out until it ends
  // (Prisma's upsert runs one), and a client that vanishes mid-transaction
  // is rolled back instead of blocking the holder for ever.
  {
    const raw = new pg.Client({ host: lock.socketDir, port: 5432, user: 'postgres', database: 'postgres' });
    await raw.connect();
    await raw.query('BEGIN');
    await raw.query(`INSERT INTO tenant (name) VALUES ('in-socket-tx')`);
    holder.proc.stdin.write('count\n');
    const counted = holder.next();
    let countedYet = false;
    void counted.then(() => (countedYet = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(countedYet, false, 'the holder waits for the socket transaction');
    await raw.query('COMMIT');
    assert.equal(await counted, 'count 1');

    await raw.query('BEGIN');
    await raw.query(`INSERT INTO tenant (name) VALUES ('never-committed')`);
    raw.connection.stream.destroy(); // vanish without COMMIT
    await raw.end().catch(() => undefined);
    holder.proc.stdin.write('count\n');
    assert.equal(await holder.next(), 'count 1', 'the holder is not blocked');
    const check = await openDatabaseForAdmin({ dataDir: env.dataDir });
    try {
      const names = (await check.prisma.tenant.findMany({ select: { name: true } })).map((x) => x.name).sort();
      assert.deepEqual(names, ['acme', 'in-socket-tx', 'written-during-tx']);
    } finally {
      await check.close();
    }
  }

  // Two admin commands at once share the socket.
  const [a, b] = await Promise.all([openDatabaseForAdmin({ dataDir: env.dataDir }), openDatabaseForAdmin({ dataDir: env.dataDir })]);
  try {
    assert.deepEqual(await Promise.all([a.prisma.apiKey.count(), b.prisma.apiKey.count()]), [1, 1]);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }

  // Holder stops cleanly: lock released, admin opens the files directly.
  holder.proc.stdin.write('close\n');
  assert.equal(await holder.exited, 0);
  assert.equal(existsSync(lockPath(env.dataDir)), false);
  const direct = await openDatabaseForAdmin({ dataDir: env.dataDir });
  try {
    assert.equal(direct.via, 'direct');
    assert.equal(await direct.prisma.apiKey.count(), 1);
    // While the admin command holds it, a service cannot open it.
    await assert.rejects(openDatabase({ dataDir: env.dataDir }), EmbeddedDatabaseBusyError);
  } finally {
    await direct.close();
  }

  // A holder killed with SIGKILL leaves a stale lock, which is taken over.
  const victim = await startHolder(env.dataDir, holders);
  victim.proc.kill('SIGKILL');
  await victim.exited;
  assert.equal(existsSync(lockPath(env.dataDir)), true, 'stale lock left behind');
  const after = await openDatabaseForAdmin({ dataDir: env.dataDir });
  try {
    assert.equal(after.via, 'direct');
    assert.equal(await after.prisma.apiKey.count(), 1, 'data survived the kill');
  } finally {
    await after.close();
  }
});
