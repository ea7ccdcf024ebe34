import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';
import type { Database, DbLogger } from './database.ts';
import { applyMigrations } from './migrate.ts';
import type { MigrateOptions } from './migrate.ts';
import { createPgExecutor } from './pg-executor.ts';
import type { SqlExecutor } from './sql-executor.ts';

export interface OpenPostgresOptions extends Pick<MigrateOptions, 'migrationsDir'> {
  logger?: DbLogger;
  /** Apply pending migrations first (default true). */
  migrate?: boolean;
  /** Size of the Prisma pool (default 10). */
  max?: number;
}

/** Postgres (DATABASE_URL): Prisma over `pg`, migrations applied on one dedicated session. */
export async function openPostgresDatabase(connectionString: string, options: OpenPostgresOptions = {}): Promise<Database> {
  let migrations = { applied: [] as string[], alreadyApplied: [] as string[], ms: 0 };
  if (options.migrate !== false) {
    const session = new pg.Client({ connectionString });
    await session.connect();
    try {
      migrations = await applyMigrations(createPgExecutor(session), { migrationsDir: options.migrationsDir });
      options.logger?.info({ applied: migrations.applied, ms: Math.round(migrations.ms) }, 'database migrations checked');
    } finally {
      await session.end();
    }
  }
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
  // BullMQ cannot set search_path on a pool it did not build; its schema is `bullmq`.
  const queuePool = new pg.Pool({ connectionString, max: 5, options: '-c search_path="bullmq",public' });
  const swallow = () => {}; // idle-client errors must not crash the process; queries still reject
  pool.on('error', swallow);
  queuePool.on('error', swallow);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const executor: SqlExecutor = createPgExecutor(pool);
  let closing: Promise<void> | undefined;
  return {
    prisma,
    kind: 'postgres',
    queuePool,
    executor,
    migrations,
    async ping() {
      await pool.query('SELECT 1');
    },
    close() {
      closing ??= (async () => {
        await prisma.$disconnect().catch(() => undefined);
        await Promise.allSettled([pool.end(), queuePool.end()]);
      })();
      return closing;
    },
  };
}
