import { EventEmitter } from 'node:events';
import type { PGlite, Results, Transaction } from '@electric-sql/pglite';

/**
 * A `pg.Pool`-shaped object over ONE PGlite instance, for BullMQ's PostgreSQL
 * backend (`createPostgresBackend`). It satisfies the structural `PgPool` /
 * `PgPoolClient` interfaces in bullmq/dist/esm/postgres/pg-types.d.ts.
 *
 * - PGlite is a single session, so "connections" are views on it. Every query
 *   is serialised by PGlite's own mutexes (the same ones Prisma's PGlite adapter
 *   goes through), so nothing interleaves with a Prisma transaction.
 * - BullMQ's SQL uses unqualified names and expects `search_path` to select its
 *   schema (it cannot set it on a pool it did not build). Trainyard's own
 *   tables live in `public` and one of them (`job`) has the same name as a
 *   BullMQ table, so the session's search_path is left alone: each pool query
 *   runs in its own short transaction with `SET LOCAL search_path`.
 * - `LISTEN x` / `UNLISTEN x` are mapped to PGlite's `listen()`/`unlisten()` and
 *   surface as `'notification'` events on the client that listened, like `pg`.
 * - `BEGIN` on a checked-out client opens a PGlite transaction that holds the
 *   instance exclusively until that client's `COMMIT`/`ROLLBACK` (or release),
 *   so BullMQ's migration transaction sees no interleaved statement. A client
 *   outside an explicit transaction holds nothing (the long-lived LISTEN client
 *   never blocks anyone).
 * - Results look like `pg`'s: `{ rows, rowCount, fields }`, int8 and numeric as
 *   strings (pg's defaults), an array of results for a multi-statement script.
 */

export interface PGlitePoolOptions {
  /** Schema searched first by pool queries (BullMQ's default is `bullmq`). */
  schema?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mirrors pg's `query<R = any>`
export interface PoolQueryResult<R = any> {
  rows: R[];
  rowCount: number;
  fields: { name: string; dataTypeID: number }[];
}

interface PgNotification {
  channel: string;
  payload?: string;
  processId?: number;
}

/** One-dimensional array literal of unquoted scalars ('{1,NULL,3}') to strings. */
function parseFlatArray(v: string): (string | null)[] {
  const inner = v.slice(1, -1);
  if (inner === '') return [];
  return inner.split(',').map((x) => (x === 'NULL' ? null : x));
}

/** Mirror node-postgres' default type parsing where PGlite's differs (PGlite makes int8 a lossy number). */
const PG_COMPAT_PARSERS = {
  20: (v: string) => v, // int8 -> string, as pg
  1700: (v: string) => v, // numeric -> string, as pg
  1016: parseFlatArray, // int8[] -> string[], as pg
  1231: parseFlatArray, // numeric[] -> string[], as pg
};

type Executor = Pick<Transaction, 'query' | 'exec'>;

const ENDED_MESSAGE = 'Cannot use a pool after calling end on the pool';

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').trim();
}

type Statement =
  | { kind: 'begin'; modes: string }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'listen' | 'unlisten'; channel: string }
  | { kind: 'other' };

function classify(sql: string): Statement {
  const s = stripComments(sql).replace(/;\s*$/, '').trim();
  let m = /^(?:BEGIN|START\s+TRANSACTION)(?:\s+(?:WORK|TRANSACTION))?(\s+[\s\S]*)?$/i.exec(s);
  if (m) return { kind: 'begin', modes: (m[1] ?? '').trim() };
  if (/^(?:COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?$/i.test(s)) return { kind: 'commit' };
  if (/^(?:ROLLBACK|ABORT)(?:\s+(?:WORK|TRANSACTION))?$/i.test(s)) return { kind: 'rollback' };
  m = /^(UN)?LISTEN\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*|\*)$/i.exec(s);
  if (m) return { kind: m[1] ? 'unlisten' : 'listen', channel: m[2] };
  return { kind: 'other' };
}

/** The channel name Postgres reports in a notification for an identifier as written. */
function channelName(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
}

function shape(r: Results): PoolQueryResult {
  return {
    rows: r.rows as Record<string, unknown>[],
    rowCount: r.affectedRows || r.rows.length, // PGlite reports 0 affected rows for SELECT; pg counts them
    fields: r.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
  };
}

async function run(ex: Executor, text: string, params?: readonly unknown[]): Promise<PoolQueryResult | PoolQueryResult[]> {
  if (params && params.length > 0) {
    return shape(await ex.query(text, params as unknown[], { parsers: PG_COMPAT_PARSERS }));
  }
  // No parameters: simple protocol, which allows a multi-statement script (as pg does).
  const results = await ex.exec(text, { parsers: PG_COMPAT_PARSERS });
  if (results.length === 1) return shape(results[0]);
  if (results.length === 0) return { rows: [], rowCount: 0, fields: [] };
  return results.map(shape);
}

export class PGlitePool extends EventEmitter {
  readonly db: PGlite;
  /** Read by BullMQ: there is no socket that could silently drop. */
  readonly options = { keepAlive: true };
  private readonly searchPath: string;
  private ended = false;
  private readonly clients = new Set<PGlitePoolClient>();

  constructor(db: PGlite, options: PGlitePoolOptions = {}) {
    super();
    this.db = db;
    const schema = options.schema ?? 'bullmq';
    if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
    this.searchPath = `"${schema}", public`;
  }

  get totalCount(): number {
    return this.clients.size;
  }

  /** Runs one autocommit statement (or script) with the queue schema on the search_path. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mirrors pg's `query<R = any>`
  async query<R = any>(text: string, params?: readonly unknown[]): Promise<PoolQueryResult<R>> {
    this.assertOpen();
    const st = classify(text);
    if (st.kind === 'begin' || st.kind === 'commit' || st.kind === 'rollback') {
      throw new Error('transaction control on a pool does not span queries; use pool.connect()');
    }
    return (await this.autocommit(text, params)) as PoolQueryResult<R>;
  }

  /** @internal */
  async autocommit(text: string, params?: readonly unknown[]): Promise<PoolQueryResult | PoolQueryResult[]> {
    return this.db.transaction(async (tx) => {
      await tx.exec(`SET LOCAL search_path TO ${this.searchPath}`);
      return run(tx, text, params);
    });
  }

  /** @internal */
  get searchPathSql(): string {
    return this.searchPath;
  }

  async connect(): Promise<PGlitePoolClient> {
    this.assertOpen();
    const client = new PGlitePoolClient(this);
    this.clients.add(client);
    this.emit('connect', client);
    this.emit('acquire', client);
    return client;
  }

  /** @internal */
  forget(client: PGlitePoolClient): void {
    this.clients.delete(client);
    this.emit('release', undefined, client);
  }

  /** Releases every client (ending their transactions and LISTENs). Does not close PGlite. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await Promise.all([...this.clients].map((c) => c.destroy()));
  }

  private assertOpen(): void {
    if (this.ended) throw new Error(ENDED_MESSAGE);
  }
}

interface OpenTransaction {
  tx: Transaction;
  decide: (commit: boolean) => void;
  done: Promise<void>;
}

export class PGlitePoolClient extends EventEmitter {
  private readonly pool: PGlitePool;
  private open?: OpenTransaction;
  private readonly listening = new Map<string, () => Promise<void>>();
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;

  constructor(pool: PGlitePool) {
    super();
    this.pool = pool;
  }

  get inTransaction(): boolean {
    return this.open !== undefined;
  }

  /** Queries on one client run in order, like a pg connection. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mirrors pg's `query<R = any>`
  query<R = any>(text: string, params?: readonly unknown[]): Promise<PoolQueryResult<R>> {
    const next = this.queue.then(() => this.dispatch(text, params));
    this.queue = next.catch(() => undefined);
    return next as Promise<PoolQueryResult<R>>;
  }

  private async dispatch(text: string, params?: readonly unknown[]): Promise<PoolQueryResult | PoolQueryResult[]> {
    if (this.released) throw new Error('Client was released');
    const st = classify(text);
    const empty: PoolQueryResult = { rows: [], rowCount: 0, fields: [] };
    switch (st.kind) {
      case 'begin':
        if (this.open) return empty; // Postgres only warns: "already a transaction in progress"
        await this.begin(st.modes);
        return empty;
      case 'commit':
        await this.finish(true);
        return empty;
      case 'rollback':
        await this.finish(false);
        return empty;
      case 'listen':
        await this.listen(st.channel);
        return empty;
      case 'unlisten':
        await this.unlisten(st.channel);
        return empty;
      default:
        if (this.open) return run(this.open.tx, text, params);
        return this.pool.autocommit(text, params);
    }
  }

  private async begin(modes: string): Promise<void> {
    let decide!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (decide = resolve));
    let started!: (tx: Transaction) => void;
    const ready = new Promise<Transaction>((resolve) => (started = resolve));
    const done = this.pool.db.transaction(async (tx) => {
      started(tx);
      const commit = await decided;
      if (!commit && !tx.closed) await tx.rollback();
    });
    const tx = await Promise.race([
      ready,
      done.then(() => {
        throw new Error('transaction ended before it started');
      }),
    ]);
    this.open = { tx, decide, done };
    try {
      if (modes) await tx.exec(`SET TRANSACTION ${modes}`);
      await tx.exec(`SET LOCAL search_path TO ${this.pool.searchPathSql}`);
    } catch (err) {
      await this.finish(false).catch(() => undefined);
      throw err;
    }
  }

  private async finish(commit: boolean): Promise<void> {
    const open = this.open;
    if (!open) return; // Postgres only warns: "there is no transaction in progress"
    this.open = undefined;
    open.decide(commit);
    await open.done;
  }

  private async listen(ident: string): Promise<void> {
    const channel = channelName(ident);
    if (this.listening.has(channel)) return;
    const emit = (payload: string) => {
      const msg: PgNotification = { channel, payload, processId: 0 };
      this.emit('notification', msg);
    };
    // PGlite's listen() takes the identifier as written and runs LISTEN itself.
    const unsubscribe = await this.pool.db.listen(ident, emit, this.open?.tx);
    this.listening.set(channel, () => unsubscribe());
  }

  private async unlisten(ident: string): Promise<void> {
    if (ident === '*') {
      const all = [...this.listening.values()];
      this.listening.clear();
      for (const u of all) await u();
      return;
    }
    const channel = channelName(ident);
    const u = this.listening.get(channel);
    if (!u) return;
    this.listening.delete(channel);
    await u();
  }

  /** Returns the client: rolls back an open transaction and drops its LISTENs. */
  release(_destroy?: boolean): void {
    if (this.released) return;
    void this.destroy();
  }

  /** @internal */
  async destroy(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      await this.finish(false);
    } catch {
      // The transaction is gone either way.
    }
    const all = [...this.listening.values()];
    this.listening.clear();
    for (const u of all) await u().catch(() => undefined);
    this.pool.forget(this);
  }
}

export function createPGlitePool(db: PGlite, options?: PGlitePoolOptions): PGlitePool {
  return new PGlitePool(db, options);
}
