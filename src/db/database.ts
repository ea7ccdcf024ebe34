import type { PgPool } from 'bullmq';
import type { PrismaClient } from './generated/client.ts';
import type { MigrateResult } from './migrate.ts';
import type { SqlExecutor } from './sql-executor.ts';

export type DatabaseKind = 'postgres' | 'embedded';

/**
 * BullMQ's structural `pg.Pool` (bullmq/dist/esm/postgres/pg-types.d.ts): a
 * real `pg.Pool` in Postgres mode, a PGlitePool (pglite-pool.ts) when embedded.
 * Pass it as `connection` with `createPostgresBackend`.
 */
export type QueuePool = PgPool;

/** What the database layer logs through (a pino Logger fits). */
export interface DbLogger {
  info(obj: object, msg?: string): void;
}

export interface ConnectionConfig {
  /** postgres://… selects Postgres; absent selects the embedded database. */
  databaseUrl?: string;
  /** Where the embedded database lives (`<dataDir>/pglite`). */
  dataDir: string;
}

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** For BullMQ's PostgreSQL backend; its queries see the `bullmq` schema first. */
  queuePool: QueuePool;
  /** Raw SQL outside Prisma. Postgres: pool-backed (any session). Embedded: the PGlite session. */
  executor: SqlExecutor;
  /** What opening did to the schema. */
  migrations: MigrateResult;
  /** Readiness: resolves when a trivial query succeeds. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What an admin command (another process, e.g. `trainyard keys create`) gets. */
export interface AdminDatabase {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /**
   * `postgres`: a Postgres server. `socket`: a running service's embedded
   * database, through its unix socket (one shared session: single statements
   * only, no transactions). `direct`: the embedded database opened in-process
   * (no service was holding it; it is locked until close()).
   */
  via: 'postgres' | 'socket' | 'direct';
  executor: SqlExecutor;
  close(): Promise<void>;
}
