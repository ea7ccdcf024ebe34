import type { PGlite } from '@electric-sql/pglite';

/**
 * A view of a PGlite instance for `PGLiteSocketServer` that keeps socket
 * clients and the owning process out of each other's transactions.
 *
 * pglite-socket runs each client message under PGlite's query mutex only. On
 * its own that lets a socket statement land inside a transaction the service
 * has open (and vanish with its rollback), and lets the service's statements
 * land inside a socket client's BEGIN…COMMIT (Prisma's upsert uses one). This
 * view makes each socket message also take PGlite's transaction mutex (the one
 * `query`, `exec` and `transaction` take), and keeps holding it while the
 * session is left inside a transaction block by a socket client, releasing it
 * once a later message ends the block. The server's own ROLLBACK of a
 * disconnected client's transaction runs under the held mutex.
 */
export function betweenTransactions(db: PGlite): PGlite {
  let held: (() => void) | null = null;

  const releaseIfDone = () => {
    if (held && !db.isInTransaction()) {
      const release = held;
      held = null;
      release();
    }
  };

  const runExclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    if (held) {
      // The socket session's transaction already owns the instance.
      return db.runExclusive(fn).finally(releaseIfDone);
    }
    return new Promise<T>((resolve, reject) => {
      void db
        ._runExclusiveTransaction(async () => {
          let result: T;
          try {
            result = await db.runExclusive(fn);
          } catch (err) {
            reject(err);
            return;
          }
          resolve(result);
          if (db.isInTransaction()) await new Promise<void>((release) => (held = release));
        })
        .catch(reject);
    });
  };

  const exec: PGlite['exec'] = async (sql, options) => {
    if (held && /^\s*ROLLBACK\s*;?\s*$/i.test(sql)) {
      // pglite-socket ends a vanished client's transaction this way; exec()
      // would wait for the mutex we hold, so speak the protocol directly.
      await db.runExclusive(() => db.execProtocolRaw(simpleQuery(sql)));
      releaseIfDone();
      return [];
    }
    return db.exec(sql, options);
  };

  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'runExclusive') return runExclusive;
      if (prop === 'exec') return exec;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A frontend Query ('Q') message. */
function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + text.length);
  msg.write('Q', 0, 'latin1');
  msg.writeInt32BE(4 + text.length, 1);
  text.copy(msg, 5);
  return msg;
}
