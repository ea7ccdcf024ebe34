import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.ts';
import type { Database, DbLogger } from './database.ts';
import { acquireEmbeddedLock } from './embedded-lock.ts';
import { serveEmbeddedDatabase } from './embedded-server.ts';
import type { EmbeddedServer } from './embedded-server.ts';
import { applyMigrations } from './migrate.ts';
import type { MigrateOptions } from './migrate.ts';
import { createPGliteExecutor } from './pglite-executor.ts';
import { createPGlitePool } from './pglite-pool.ts';

export interface OpenEmbeddedOptions extends Pick<MigrateOptions, 'migrationsDir'> {
  logger?: DbLogger;
  /** Serve the database on a unix socket for admin commands in other processes (default true). */
  serve?: boolean;
}

export interface EmbeddedDatabase extends Database {
  kind: 'embedded';
  pglite: PGlite;
  /** Where admin commands connect; null when not serving. */
  server: EmbeddedServer | null;
  /** Milliseconds spent in PGlite.create (first open initialises the cluster). */
  openMs: number;
}

/**
 * The embedded database: PGlite persisted at `<dataDir>/pglite`, held by this
 * process (see embedded-lock.ts), migrated, and (by default) served on a unix
 * socket. Throws EmbeddedDatabaseBusyError when another live process holds it.
 */
export async function openEmbeddedDatabase(dataDir: string, options: OpenEmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const lock = acquireEmbeddedLock(dataDir);
  let pglite: PGlite | undefined;
  let server: EmbeddedServer | null = null;
  try {
    const dir = join(dataDir, 'pglite');
    mkdirSync(dataDir, { recursive: true });
    const t0 = performance.now();
    pglite = await PGlite.create(dir);
    const openMs = performance.now() - t0;
    const executor = createPGliteExecutor(pglite);
    const migrations = await applyMigrations(executor, { migrationsDir: options.migrationsDir });
    if (options.serve !== false) server = await serveEmbeddedDatabase(pglite, dataDir, lock);
    options.logger?.info(
      { dir, openMs: Math.round(openMs), applied: migrations.applied, socketDir: server?.socketDir ?? null },
      'embedded database opened',
    );
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    const queuePool = createPGlitePool(pglite);
    const db = pglite;
    let closing: Promise<void> | undefined;
    return {
      prisma,
      kind: 'embedded',
      queuePool,
      executor,
      migrations,
      pglite: db,
      server,
      openMs,
      async ping() {
        await db.query('SELECT 1');
      },
      close() {
        closing ??= (async () => {
          await prisma.$disconnect().catch(() => undefined);
          await queuePool.end().catch(() => undefined);
          await server?.stop().catch(() => undefined);
          await db.close().catch(() => undefined);
          lock.release();
        })();
        return closing;
      },
    };
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await pglite?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
}
