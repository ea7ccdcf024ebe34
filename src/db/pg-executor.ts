import type pg from 'pg';
import type { SqlExecutor } from './sql-executor.ts';

/**
 * A {@link SqlExecutor} over `pg`: one session (a `pg.Client` or a checked-out
 * `pg.PoolClient`: what migrations need), or a `pg.Pool` (any session per query).
 */
export function createPgExecutor(client: pg.ClientBase | pg.Pool): SqlExecutor {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const res = await client.query<R>(sql, params as unknown[]);
      return res.rows;
    },
    async exec(sql: string): Promise<void> {
      // No parameters: node-postgres uses the simple query protocol, which runs
      // a multi-statement script in one implicit transaction, as Prisma does.
      await client.query(sql);
    },
  };
}
