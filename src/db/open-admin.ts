import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';
import type { AdminDatabase, ConnectionConfig } from './database.ts';
import { EmbeddedDatabaseBusyError, readLiveLock } from './embedded-lock.ts';
import type { EmbeddedLockInfo } from './embedded-lock.ts';
import { openEmbeddedDatabase } from './open-embedded.ts';
import { openPostgresDatabase } from './open-postgres.ts';
import type { SqlExecutor } from './sql-executor.ts';
import { createPgExecutor } from './pg-executor.ts';

export interface OpenAdminOptions {
  /** How long to wait for a starting service to begin serving its socket (default 15 s). */
  waitForSocketMs?: number;
}

/**
 * Database access for short admin commands run beside a service
 * (`trainyard keys create`). Postgres: a normal connection. Embedded: if a live
 * process holds the database, connect to its unix socket with `pg`; otherwise
 * open PGlite directly, holding the lock until close().
 */
export async function openDatabaseForAdmin(config: ConnectionConfig, options: OpenAdminOptions = {}): Promise<AdminDatabase> {
  if (config.databaseUrl) {
    const db = await openPostgresDatabase(config.databaseUrl, { max: 2 });
    return { prisma: db.prisma, kind: 'postgres', via: 'postgres', executor: db.executor, close: () => db.close() };
  }
  const deadline = Date.now() + (options.waitForSocketMs ?? 15_000);
  for (;;) {
    const live = readLiveLock(config.dataDir);
    if (live?.socketDir && live.socketPort) return connectToSocket(live);
    if (!live) {
      try {
        const db = await openEmbeddedDatabase(config.dataDir, { serve: false });
        return { prisma: db.prisma, kind: 'embedded', via: 'direct', executor: db.executor, close: () => db.close() };
      } catch (err) {
        if (!(err instanceof EmbeddedDatabaseBusyError)) throw err; // lost a race: a service started
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`the embedded database in ${config.dataDir} is held by process ${live?.pid ?? '?'}, which does not serve it`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function connectToSocket(info: EmbeddedLockInfo): Promise<AdminDatabase> {
  // One connection: the server shares a single PGlite session among clients anyway.
  const pool = new pg.Pool({ host: info.socketDir ?? undefined, port: info.socketPort ?? undefined, user: 'postgres', database: 'postgres', max: 1 });
  pool.on('error', () => {});
  await (await pool.connect()).release(); // fail now, not on first query
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const executor: SqlExecutor = createPgExecutor(pool);
  let closing: Promise<void> | undefined;
  return {
    prisma,
    kind: 'embedded',
    via: 'socket',
    executor,
    close() {
      closing ??= (async () => {
        await prisma.$disconnect().catch(() => undefined);
        await pool.end().catch(() => undefined);
      })();
      return closing;
    },
  };
}
