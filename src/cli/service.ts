/**
 * A long-running Trainyard process: the API, a worker, or both. Opens the
 * database (applying migrations), the queue, and whatever the role needs, then
 * waits for SIGTERM or SIGINT and shuts down in order: stop accepting, let
 * running work checkpoint and stop, close the queue, close the database.
 */
import { hostname } from 'node:os';
import type { Config } from '../shared/config.ts';
import { deploymentOf } from '../shared/config.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { enableRelaxedSimd } from '../workers/relaxed-simd.ts';
import { openDatabase, type Database } from '../db/open.ts';
import { DEFAULT_TENANT, registerApiKey } from '../db/repos/api-keys.ts';
import { TrainingQueue, type QueueConnection } from '../queue/training-queue.ts';
import { inProcessCancelRelay, postgresCancelRelay, redisCancelRelay, type CancelRelay } from '../queue/cancel-relay.ts';
import { buildApp } from '../api/app.ts';
import type { App } from '../api/types.ts';
import { startTrainingWorker, type RunningWorker } from '../workers/training-worker.ts';

export type Role = 'api' | 'worker' | 'all';

export function queueConnection(config: Config, db: Database): QueueConnection {
  if (config.redisUrl !== undefined) return { kind: 'redis', url: config.redisUrl };
  return { kind: 'postgres', pool: db.queuePool };
}

export function cancelRelayFor(config: Config, db: Database): CancelRelay {
  if (config.redisUrl !== undefined) return redisCancelRelay(config.redisUrl);
  if (db.kind === 'postgres') return postgresCancelRelay(config.databaseUrl!);
  // Embedded: API and worker share this process.
  return inProcessCancelRelay();
}

export interface Service {
  app?: App;
  worker?: RunningWorker;
  url?: string;
  stop(reason: string): Promise<void>;
}

export async function startService(role: Role, config: Config, logger: Logger): Promise<Service> {
  const t0 = Date.now();
  const where = deploymentOf(config);
  if (role !== 'all' && where.data === 'embedded') {
    logger.warn('the embedded database belongs to one process; run `trainyard all`, or set DATABASE_URL to run api and worker apart');
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  const closers: Array<[string, () => Promise<void>]> = [['database', () => db.close()]];
  try {
    if (config.apiKey !== undefined) await registerApiKey(db.prisma, DEFAULT_TENANT, config.apiKey);
    const queue = await TrainingQueue.open(config.queueName, queueConnection(config, db));
    closers.unshift(['queue', () => queue.close()]);
    const cancelRelay = cancelRelayFor(config, db);
    closers.unshift(['cancel relay', () => cancelRelay.close()]);

    const service: Service = { stop: async () => {} };
    if (role === 'worker' || role === 'all') {
      service.worker = await startTrainingWorker({ queue, cancelRelay, prisma: db.prisma, config, logger, workerName: `${hostname()}:${process.pid}` });
      closers.unshift(['worker', () => service.worker!.close(config.shutdownGraceMs)]);
    }
    if (role === 'api' || role === 'all') {
      const app = await buildApp({
        prisma: db.prisma,
        queue,
        cancelRelay,
        limits: config.limits,
        probe: { database: () => db.ping(), queue: () => queue.ping() },
        logger,
        bodyLimit: config.bodyLimit,
        requestTimeoutMs: config.requestTimeoutMs,
      });
      service.url = await app.listen({ host: config.host, port: config.port });
      service.app = app;
      // The API stops accepting first, so nothing new arrives while the rest closes.
      closers.unshift(['api', () => app.close()]);
    }
    logger.info({ role, data: where.data, queue: where.queue, url: service.url, startupMs: Date.now() - t0 }, 'trainyard started');

    let stopping: Promise<void> | undefined;
    service.stop = (reason: string) => {
      stopping ??= (async () => {
        logger.info({ reason }, 'shutting down');
        for (const [name, close] of closers) {
          try {
            await close();
          } catch (err) {
            logger.error({ err, part: name }, 'error while closing');
          }
        }
        logger.info('stopped');
      })();
      return stopping;
    };
    return service;
  } catch (e) {
    for (const [, close] of closers) await close().catch(() => {});
    throw e;
  }
}

/** Runs a role until SIGTERM or SIGINT; a second signal, or the grace period running out, exits at once. */
export async function runService(role: Role, config: Config): Promise<number> {
  // Before anything builds engine kernels (the API's predictions, the worker's threads).
  const relaxedSimd = enableRelaxedSimd(config.relaxedSimd);
  const logger = createLogger(config.logLevel, role);
  logger.info({ relaxedSimd }, relaxedSimd ? 'wasm relaxed SIMD on: fused multiply-add GEMM' : 'wasm relaxed SIMD off: plain SIMD128 GEMM');
  const service = await startService(role, config, logger);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ sig }, 'second signal: exiting now');
        process.exit(130);
      }
      const force = setTimeout(() => {
        logger.error('shutdown took longer than the grace period; exiting');
        process.exit(1);
      }, config.shutdownGraceMs + 10_000);
      force.unref();
      service.stop(sig).then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}
