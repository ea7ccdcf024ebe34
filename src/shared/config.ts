/**
 * Process configuration, read once from the environment.
 *
 * Three deployments share one code path:
 * - embedded (no DATABASE_URL): PGlite under TRAINYARD_DATA_DIR holds the data
 *   and BullMQ's PostgreSQL backend on the same database holds the queue;
 * - Postgres (DATABASE_URL): data and queue in that Postgres;
 * - Postgres + Redis (DATABASE_URL and REDIS_URL): the queue moves to Redis.
 */
import { resolve } from 'node:path';

export interface Config {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly apiKey: string | undefined;
  readonly logLevel: string;
  /** Largest JSON body accepted (bytes). Uploads have their own caps. */
  readonly bodyLimit: number;
  /** Time a request may take to arrive in full, ms. */
  readonly requestTimeoutMs: number;
  /** Jobs one worker process trains at once. */
  readonly workerConcurrency: number;
  /** How long a stopping process waits for running work before it exits, ms. */
  readonly shutdownGraceMs: number;
  readonly queueName: string;
  /** BullMQ lock: a job held by a dead worker goes back to the queue after this, ms. */
  readonly lockMs: number;
  /** Attempt lease in Postgres; renewed about every second while training, ms. */
  readonly leaseMs: number;
  /** How often a worker re-enqueues jobs Postgres says should run, ms. */
  readonly reconcileMs: number;
  /** Train with WebAssembly relaxed SIMD where the runtime has it (TRAINYARD_RELAXED_SIMD, default on). */
  readonly relaxedSimd: boolean;
  /** Defaults for every tenant; a tenant's `limits` JSON overrides them. */
  readonly limits: Limits;
}

export interface Limits {
  /** Trainable parameters in one model. */
  maxParams: number;
  /** Estimated training memory of one job (parameters, gradients, optimizer state, one batch of activations), bytes. */
  maxMemoryBytes: number;
  /** Estimated training FLOPs of one job (epochs x samples x FLOPs per sample). */
  maxTrainingFlops: number;
  /** Size of one uploaded data set after decompression, bytes. */
  maxUploadBytes: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/**
 * TRAINYARD_RELAXED_SIMD: `1` or unset on, `0` off, anything else refused. Also read by each
 * training pool thread (src/workers/relaxed-simd.ts), which has the environment but no Config.
 */
export function relaxedSimdSetting(env: Env = process.env): boolean {
  const raw = env.TRAINYARD_RELAXED_SIMD?.trim();
  if (raw === undefined || raw === '' || raw === '1') return true;
  if (raw === '0') return false;
  throw new ConfigError(`TRAINYARD_RELAXED_SIMD must be 0 or 1, got ${JSON.stringify(env.TRAINYARD_RELAXED_SIMD)}`);
}

function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function loadConfig(env: Env = process.env): Config {
  const apiKey = optional(env, 'TRAINYARD_API_KEY');
  if (apiKey !== undefined && apiKey.length < 16) {
    throw new ConfigError('TRAINYARD_API_KEY must be at least 16 characters');
  }
  return {
    dataDir: resolve(optional(env, 'TRAINYARD_DATA_DIR') ?? './data'),
    databaseUrl: optional(env, 'DATABASE_URL'),
    redisUrl: optional(env, 'REDIS_URL'),
    host: optional(env, 'HOST') ?? '127.0.0.1',
    port: int(env, 'PORT', 3000, 0, 65535),
    apiKey,
    logLevel: optional(env, 'LOG_LEVEL') ?? 'info',
    bodyLimit: int(env, 'TRAINYARD_BODY_LIMIT', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    requestTimeoutMs: int(env, 'TRAINYARD_REQUEST_TIMEOUT_MS', 120_000, 1000, 3_600_000),
    workerConcurrency: int(env, 'TRAINYARD_WORKER_CONCURRENCY', 1, 1, 64),
    shutdownGraceMs: int(env, 'TRAINYARD_SHUTDOWN_GRACE_MS', 30_000, 0, 3_600_000),
    queueName: optional(env, 'TRAINYARD_QUEUE') ?? 'trainyard-jobs',
    lockMs: int(env, 'TRAINYARD_LOCK_MS', 30_000, 1000, 600_000),
    leaseMs: int(env, 'TRAINYARD_LEASE_MS', 60_000, 2000, 3_600_000),
    reconcileMs: int(env, 'TRAINYARD_RECONCILE_MS', 30_000, 500, 3_600_000),
    relaxedSimd: relaxedSimdSetting(env),
    limits: {
      maxParams: int(env, 'TRAINYARD_MAX_PARAMS', 50_000_000, 1, Number.MAX_SAFE_INTEGER),
      maxMemoryBytes: int(env, 'TRAINYARD_MAX_MEMORY_BYTES', 4 * 1024 ** 3, 1024, Number.MAX_SAFE_INTEGER),
      maxTrainingFlops: int(env, 'TRAINYARD_MAX_TRAINING_FLOPS', 1e16, 1, Number.MAX_SAFE_INTEGER),
      maxUploadBytes: int(env, 'TRAINYARD_MAX_UPLOAD_BYTES', 1024 ** 3, 1024, Number.MAX_SAFE_INTEGER),
    },
  };
}

/** Where the data lives and where the queue lives, as this configuration selects. */
export function deploymentOf(config: Pick<Config, 'databaseUrl' | 'redisUrl'>): {
  data: 'embedded' | 'postgres';
  queue: 'postgres' | 'redis';
} {
  return {
    data: config.databaseUrl === undefined ? 'embedded' : 'postgres',
    queue: config.redisUrl === undefined ? 'postgres' : 'redis',
  };
}
