/**
 * The queue contract between the API (which enqueues job ids) and the workers
 * (which take them). Postgres is the system of record; the queue only carries
 * `{ jobId }`, and BullMQ's job id is our job id, so enqueueing twice is a no-op
 * and a reconciler can re-enqueue from Postgres at any time.
 *
 * Two backends, one API: BullMQ on Redis (REDIS_URL), or BullMQ's PostgreSQL
 * backend on the same database as the data (embedded PGlite or DATABASE_URL).
 */
import { Queue, Worker, createPostgresBackend, runMigrations, type PgPool, type Processor, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';

export interface TrainingJobData {
  jobId: string;
}

/** Redis, or a pg-Pool-compatible pool whose sessions see the `bullmq` schema first (Postgres or embedded PGlite). */
export type QueueConnection = { kind: 'redis'; url: string } | { kind: 'postgres'; pool: PgPool };

export interface WorkerTuning {
  concurrency: number;
  /** How long a job's lock lasts without renewal; a crashed worker's job returns after this. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Stalls (worker deaths) a job survives before it fails. */
  maxStalledCount: number;
}

export const BULLMQ_SCHEMA = 'bullmq';

export class TrainingQueue {
  private readonly closers: Array<() => Promise<void>> = [];
  private constructor(
    readonly name: string,
    readonly connection: QueueConnection,
    readonly queue: Queue<TrainingJobData>,
  ) {}

  static async open(name: string, connection: QueueConnection): Promise<TrainingQueue> {
    if (connection.kind === 'postgres') {
      // BullMQ migrates only pools it builds itself; this one is ours.
      const client = await connection.pool.connect();
      try {
        await runMigrations(client, BULLMQ_SCHEMA);
      } finally {
        client.release();
      }
    }
    const redisClients: Redis[] = [];
    const queue = new Queue<TrainingJobData>(name, TrainingQueue.baseOptions(connection, redisClients) as never, TrainingQueue.backend(connection) as never);
    const tq = new TrainingQueue(name, connection, queue);
    tq.closers.push(async () => {
      await queue.close();
      for (const c of redisClients) c.disconnect();
    });
    await queue.waitUntilReady();
    return tq;
  }

  private static baseOptions(connection: QueueConnection, owned: Redis[]): { connection: unknown } {
    switch (connection.kind) {
      case 'redis': {
        const client = new Redis(connection.url, { maxRetriesPerRequest: null, enableOfflineQueue: true });
        owned.push(client);
        return { connection: client };
      }
      case 'postgres':
        return { connection: connection.pool };
    }
  }

  private static backend(connection: QueueConnection): unknown {
    return connection.kind === 'redis' ? undefined : createPostgresBackend;
  }

  /**
   * Adds the job id. Adding an id the queue holds as waiting or active changes
   * nothing; one it holds as finished (completed or failed in BullMQ while
   * Postgres says otherwise) is replaced, so the reconciler can always bring a
   * job back.
   */
  async enqueue(jobId: string): Promise<void> {
    const existing = await this.queue.getJob(jobId);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed') return;
      await existing.remove();
    }
    await this.queue.add('train', { jobId }, {
      jobId,
      // Attempts are counted in Postgres (job.attempt), not by BullMQ.
      attempts: 1,
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    });
  }

  /** Ids of the jobs the queue holds in any live state, for the reconciler. */
  async liveJobIds(): Promise<Set<string>> {
    const jobs = await this.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused'] as never);
    return new Set(jobs.filter((j) => j !== undefined).map((j) => String(j.id)));
  }

  /** Throws unless the queue's store answers. */
  async ping(): Promise<void> {
    await this.queue.getJobCounts('waiting');
  }

  createWorker(processor: Processor<TrainingJobData>, tuning: WorkerTuning, workerName: string): Worker<TrainingJobData> {
    const redisClients: Redis[] = [];
    const opts: Partial<WorkerOptions> = {
      ...(TrainingQueue.baseOptions(this.connection, redisClients) as object),
      name: workerName,
      concurrency: tuning.concurrency,
      lockDuration: tuning.lockDurationMs,
      stalledInterval: tuning.stalledIntervalMs,
      maxStalledCount: tuning.maxStalledCount,
      autorun: false,
      // With the PostgreSQL backend a NOTIFY can be missed (embedded PGlite); wake up to poll.
      drainDelay: this.connection.kind === 'redis' ? 5 : 1,
    };
    const worker = new Worker<TrainingJobData>(this.name, processor, opts as never, TrainingQueue.backend(this.connection) as never);
    worker.on('closed', () => {
      for (const c of redisClients) c.disconnect();
    });
    return worker;
  }

  async close(): Promise<void> {
    for (const c of this.closers.reverse()) await c();
  }
}
