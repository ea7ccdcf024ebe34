import type { ConnectionConfig, Database } from './database.ts';
import { openEmbeddedDatabase } from './open-embedded.ts';
import type { OpenEmbeddedOptions } from './open-embedded.ts';
import { openPostgresDatabase } from './open-postgres.ts';
import type { OpenPostgresOptions } from './open-postgres.ts';

export { openDatabaseForAdmin } from './open-admin.ts';
export type { AdminDatabase, ConnectionConfig, Database, DatabaseKind, DbLogger } from './database.ts';

export type OpenDatabaseConfig = ConnectionConfig & OpenPostgresOptions & OpenEmbeddedOptions;

/**
 * Opens the system of record and brings its schema up to date:
 * Postgres when `databaseUrl` is set, else the embedded PGlite database in
 * `<dataDir>/pglite` (held by this process and served on a unix socket for
 * admin commands; see openDatabaseForAdmin).
 */
export async function openDatabase(config: OpenDatabaseConfig): Promise<Database> {
  if (config.databaseUrl) return openPostgresDatabase(config.databaseUrl, config);
  return openEmbeddedDatabase(config.dataDir, config);
}
