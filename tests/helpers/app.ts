/**
 * A whole Trainyard in-process for HTTP tests, in the configuration the
 * environment selects: embedded PGlite + BullMQ on it by default; a fresh
 * Postgres database (and Redis, when REDIS_URL is set) otherwise. Tests call
 * `app.inject(...)`; `withWorker` also starts a training worker.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../src/api/app.ts';
import type { App } from '../../src/api/types.ts';
import { openDatabase, type Database } from '../../src/db/open.ts';
import { createApiKey } from '../../src/db/repos/api-keys.ts';
import { TrainingQueue } from '../../src/queue/training-queue.ts';
import { cancelRelayFor, queueConnection } from '../../src/cli/service.ts';
import type { CancelRelay } from '../../src/queue/cancel-relay.ts';
import { loadConfig, type Config, type Limits } from '../../src/shared/config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { startTrainingWorker, type RunningWorker } from '../../src/workers/training-worker.ts';
import { createTestDatabase, createTestEmbedded } from './db.ts';

export interface TestApp {
  app: App;
  db: Database;
  queue: TrainingQueue;
  cancelRelay: CancelRelay;
  config: Config;
  worker?: RunningWorker;
  /** A key for the tenant `default`. */
  key: string;
  /** Authorization header for the default tenant's key. */
  auth: { authorization: string };
  /** A key for another tenant (created on first use). */
  keyFor(tenant: string): Promise<string>;
  close(): Promise<void>;
}

export async function createTestApp(opts: { limits?: Partial<Limits>; withWorker?: boolean; env?: Record<string, string> } = {}): Promise<TestApp> {
  const pgdb = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  const emb = pgdb ? undefined : createTestEmbedded();
  const base = loadConfig({
    ...(pgdb ? { DATABASE_URL: pgdb.url } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    TRAINYARD_DATA_DIR: emb?.dataDir ?? '/nonexistent',
    TRAINYARD_QUEUE: `test-${randomBytes(5).toString('hex')}`,
    TRAINYARD_LOCK_MS: '4000',
    TRAINYARD_LEASE_MS: '8000',
    ...opts.env,
  });
  const config: Config = { ...base, limits: { ...base.limits, ...opts.limits } };
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test');
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const queue = await TrainingQueue.open(config.queueName, queueConnection(config, db));
  const cancelRelay = cancelRelayFor(config, db);
  const worker = opts.withWorker
    ? await startTrainingWorker({ queue, cancelRelay, prisma: db.prisma, config, logger, workerName: `${hostname()}:test:${process.pid}` })
    : undefined;
  const app = await buildApp({
    prisma: db.prisma,
    queue,
    cancelRelay,
    limits: config.limits,
    probe: { database: () => db.ping(), queue: () => queue.ping() },
    logger,
  });
  await app.ready();
  const created = await createApiKey(db.prisma, 'default');
  const keys = new Map<string, string>([['default', created.key]]);
  return {
    app,
    db,
    queue,
    cancelRelay,
    config,
    worker,
    key: created.key,
    auth: { authorization: `Bearer ${created.key}` },
    async keyFor(tenant: string) {
      let k = keys.get(tenant);
      if (!k) {
        k = (await createApiKey(db.prisma, tenant)).key;
        keys.set(tenant, k);
      }
      return k;
    },
    async close() {
      await app.close();
      await worker?.close(5000);
      await cancelRelay.close();
      await queue.queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      await db.close();
      await pgdb?.drop();
      emb?.cleanup();
    },
  };
}
