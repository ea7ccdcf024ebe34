import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlExecutor } from './sql-executor.ts';

/**
 * Engine-free `prisma migrate deploy`: applies prisma/migrations/<name>/migration.sql
 * in name order and records them in `_prisma_migrations` exactly as Prisma's
 * schema engine does, so a database migrated here is "in sync" for Prisma's
 * own tooling and vice versa. Works over `pg` and over PGlite.
 */

/** Prisma's own advisory lock key for migrations (so we also exclude a concurrent `prisma migrate`). */
export const PRISMA_MIGRATION_LOCK_KEY = 72707369;

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

export interface MigrateOptions {
  /** Defaults to the repository's prisma/migrations. */
  migrationsDir?: string;
  log?: (message: string) => void;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  ms: number;
}

export class MigrationError extends Error {
  readonly migration: string;
  constructor(migration: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
    this.migration = migration;
  }
}

interface LocalMigration {
  name: string;
  script: string;
  checksum: string;
}

interface MigrationRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

// The table exactly as Prisma's schema engine creates it on PostgreSQL.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Prisma tolerates a checkout that only changed line endings (git autocrlf). */
function checksumMatches(local: LocalMigration, recorded: string): boolean {
  if (local.checksum === recorded) return true;
  const lf = local.script.replace(/\r\n/g, '\n');
  return sha256Hex(lf) === recorded || sha256Hex(lf.replace(/\n/g, '\r\n')) === recorded;
}

export function readMigrations(migrationsDir: string = DEFAULT_MIGRATIONS_DIR): LocalMigration[] {
  if (!existsSync(migrationsDir)) throw new Error(`migrations directory not found: ${migrationsDir}`);
  return readdirSync(migrationsDir)
    .filter((name) => statSync(join(migrationsDir, name)).isDirectory() && existsSync(join(migrationsDir, name, 'migration.sql')))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => {
      const script = readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, script, checksum: sha256Hex(script) };
    });
}

/**
 * Applies pending migrations under `pg_advisory_lock(72707369)`. Refuses (with a
 * {@link MigrationError}) an applied migration whose file changed, and a
 * migration that failed earlier and was never resolved (Prisma's P3009).
 * The executor must be a single session (the lock is session-level).
 */
export async function applyMigrations(db: SqlExecutor, options: MigrateOptions = {}): Promise<MigrateResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const local = readMigrations(options.migrationsDir);
  const result: MigrateResult = { applied: [], alreadyApplied: [], ms: 0 };

  await db.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
  try {
    await db.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await db.query<MigrationRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at ASC',
    );
    for (const m of local) {
      const live = rows.filter((r) => r.migration_name === m.name && r.rolled_back_at === null);
      const failed = live.find((r) => r.finished_at === null);
      if (failed) {
        throw new MigrationError(
          m.name,
          `migration ${m.name} failed earlier and was not resolved; fix the database, then mark it rolled back ` +
            `(UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${m.name}' AND finished_at IS NULL)`,
        );
      }
      const done = live.find((r) => r.finished_at !== null);
      if (done) {
        if (!checksumMatches(m, done.checksum)) {
          throw new MigrationError(
            m.name,
            `migration ${m.name} was modified after it was applied (checksum ${m.checksum} on disk, ${done.checksum} in the database); ` +
              'never edit an applied migration, add a new one',
          );
        }
        result.alreadyApplied.push(m.name);
        continue;
      }
      await applyOne(db, m);
      log(`applied migration ${m.name}`);
      result.applied.push(m.name);
    }
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
  }
  result.ms = performance.now() - started;
  return result;
}

async function applyOne(db: SqlExecutor, m: LocalMigration): Promise<void> {
  const id = randomUUID();
  await db.query(
    'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
    [id, m.checksum, m.name],
  );
  try {
    // One simple-protocol script: Postgres runs it as one implicit transaction.
    await db.exec(m.script);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await db.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message]);
    throw new MigrationError(m.name, `migration ${m.name} failed: ${message}`, { cause: err });
  }
  await db.query(
    'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1 WHERE id = $1',
    [id],
  );
}
