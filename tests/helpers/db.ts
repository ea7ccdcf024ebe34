/**
 * Throwaway databases for tests.
 *
 * createTestDatabase(): a fresh Postgres database `ty_test_<random>` on the
 * server of DATABASE_URL (or 127.0.0.1:5432 when unset), dropped by drop().
 * createTestEmbedded(): a fresh temp data directory for the embedded (PGlite)
 * database, removed by cleanup(). Kept short: the unix socket lives in it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function serverUrl(): URL {
  const url = new URL(process.env.DATABASE_URL || TEST_POSTGRES_URL);
  url.pathname = '/postgres';
  url.search = '';
  return url;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl().toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ty_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = serverUrl();
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

export interface TestEmbedded {
  dataDir: string;
  cleanup(): void;
}

export function createTestEmbedded(): TestEmbedded {
  const dataDir = mkdtempSync(join(tmpdir(), 'ty-emb-'));
  return {
    dataDir,
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
