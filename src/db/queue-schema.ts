import { runMigrations } from 'bullmq';
import type { PgPool } from 'bullmq';

/**
 * Creates/upgrades BullMQ's PostgreSQL schema (`bullmq`) through a pool we
 * built ourselves: BullMQ only migrates on connect when it builds the pool, so
 * call this once before constructing Queue/Worker on `Database.queuePool`.
 * Idempotent; BullMQ serialises concurrent callers with an advisory lock.
 * Returns the schema version.
 */
export async function prepareQueueSchema(pool: PgPool): Promise<number> {
  const client = await pool.connect();
  try {
    return await runMigrations(client);
  } finally {
    client.release();
  }
}
