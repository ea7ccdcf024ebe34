import { createHash } from 'node:crypto';
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { betweenTransactions } from './between-transactions.ts';
import type { EmbeddedLock } from './embedded-lock.ts';

/**
 * Serves a held embedded database on a unix socket so that admin commands in
 * other processes (`trainyard keys create`) can use it while the service runs.
 * `pg` finds it as `{ host: socketDir, port: SOCKET_PORT }`. All connections
 * share PGlite's single session; see between-transactions.ts for how socket
 * clients and the service stay out of each other's transactions.
 */
export const SOCKET_PORT = 5432;
const MAX_UNIX_SOCKET_PATH = 100; // sun_path is 108 bytes on Linux, 104 on macOS

export interface EmbeddedServer {
  socketDir: string;
  port: number;
  stop(): Promise<void>;
}

export function embeddedSocketDir(dataDir: string): string {
  const dir = resolve(dataDir);
  if (join(dir, `.s.PGSQL.${SOCKET_PORT}`).length <= MAX_UNIX_SOCKET_PATH) return dir;
  const tag = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return join(tmpdir(), `trainyard-${tag}`);
}

export async function serveEmbeddedDatabase(db: PGlite, dataDir: string, lock: EmbeddedLock): Promise<EmbeddedServer> {
  const socketDir = embeddedSocketDir(dataDir);
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  const path = join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  rmSync(path, { force: true }); // we hold the lock, so any socket file left here is stale
  const server = new PGLiteSocketServer({ db: betweenTransactions(db), path, maxConnections: 8 });
  await server.start();
  lock.update({ socketDir, socketPort: SOCKET_PORT });
  let stopped = false;
  return {
    socketDir,
    port: SOCKET_PORT,
    async stop() {
      if (stopped) return;
      stopped = true;
      lock.update({ socketDir: null, socketPort: null });
      await server.stop();
      rmSync(path, { force: true });
      if (socketDir !== resolve(dataDir)) {
        try {
          rmdirSync(socketDir); // the short tmpdir fallback, if now empty
        } catch {
          // Not empty or already gone.
        }
      }
    },
  };
}
