/** `trainyard migrate`: opening the database applies pending migrations; this reports and exits. */
import type { Config } from '../shared/config.ts';
import { openDatabaseForAdmin } from '../db/open.ts';

export async function migrateCommand(config: Config): Promise<number> {
  const started = Date.now();
  const db = await openDatabaseForAdmin({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await db.close();
  console.log(`database is up to date (${Date.now() - started} ms)`);
  return 0;
}
