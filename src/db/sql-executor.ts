/**
 * The smallest SQL surface the migration runner (and admin helpers) need, so
 * the same code runs over a real Postgres session (`pg`) and over PGlite.
 *
 * Both methods must run on ONE database session: the migration runner takes a
 * session-level advisory lock with `query` and releases it later.
 */
export interface SqlExecutor {
  /** One statement, `$1`-style parameters, rows as objects. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** A script of one or more statements, no parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
}
