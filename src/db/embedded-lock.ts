import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `<dataDir>/pglite.lock`: who holds the embedded database. PGlite is one
 * process's in-memory Postgres over files; two processes opening the same
 * directory would corrupt it, so the holder writes its pid here (exclusive
 * create) and, once it serves the database, the unix socket's location.
 */
export interface EmbeddedLockInfo {
  pid: number;
  /** Directory holding `.s.PGSQL.<port>` (what `pg` takes as `host`), once serving. */
  socketDir: string | null;
  socketPort: number | null;
  startedAt: string;
}

export class EmbeddedDatabaseBusyError extends Error {
  readonly pid: number;
  constructor(dataDir: string, pid: number) {
    super(`the embedded database in ${dataDir} is held by ${pid === process.pid ? 'this process' : `process ${pid}`}`);
    this.name = 'EmbeddedDatabaseBusyError';
    this.pid = pid;
  }
}

export function lockPath(dataDir: string): string {
  return join(dataDir, 'pglite.lock');
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's contents if a live process holds it, else null (a stale lock counts as free). */
export function readLiveLock(dataDir: string): EmbeddedLockInfo | null {
  let info: EmbeddedLockInfo;
  try {
    info = JSON.parse(readFileSync(lockPath(dataDir), 'utf8')) as EmbeddedLockInfo;
  } catch {
    return null;
  }
  return isProcessAlive(info.pid) ? info : null;
}

export interface EmbeddedLock {
  readonly path: string;
  /** Records where the database is served. */
  update(patch: Partial<Pick<EmbeddedLockInfo, 'socketDir' | 'socketPort'>>): void;
  release(): void;
}

/** Takes the lock for this process, or throws {@link EmbeddedDatabaseBusyError}. */
export function acquireEmbeddedLock(dataDir: string): EmbeddedLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  let info: EmbeddedLockInfo = { pid: process.pid, socketDir: null, socketPort: null, startedAt: new Date().toISOString() };
  for (let tries = 0; ; tries++) {
    try {
      writeFileSync(path, JSON.stringify(info), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 3) throw err;
      const live = readLiveLock(dataDir);
      if (live) throw new EmbeddedDatabaseBusyError(dataDir, live.pid); // possibly this very process
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  let released = false;
  return {
    path,
    update(patch) {
      info = { ...info, ...patch };
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(info));
      renameSync(tmp, path);
    },
    release() {
      if (released) return;
      released = true;
      try {
        const current = JSON.parse(readFileSync(path, 'utf8')) as EmbeddedLockInfo;
        if (current.pid === process.pid) rmSync(path, { force: true });
      } catch {
        // Already gone.
      }
    },
  };
}
