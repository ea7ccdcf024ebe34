import type { PGlite } from '@electric-sql/pglite';
import type { SqlExecutor } from './sql-executor.ts';

/** A {@link SqlExecutor} over a PGlite instance (which is a single session). */
export function createPGliteExecutor(db: PGlite): SqlExecutor {
  return {
    async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      const res = await db.query<R>(sql, params as unknown[]);
      return res.rows;
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}
