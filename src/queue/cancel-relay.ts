/**
 * Tells the worker that holds a job to stop it, whichever API process took the
 * cancel request. BullMQ can only cancel an active job from the process that
 * holds it, so the API publishes and every worker listens: Redis pub/sub,
 * Postgres NOTIFY, or an in-process emitter when API and worker share a
 * process (embedded). Workers also see `cancel_requested_at` in Postgres on
 * their next progress write, so a lost message only delays the stop.
 */
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import pg from 'pg';

const CHANNEL = 'trainyard_cancel';

export interface CancelRelay {
  publish(jobId: string): Promise<void>;
  subscribe(onCancel: (jobId: string) => void): Promise<void>;
  close(): Promise<void>;
}

export function inProcessCancelRelay(): CancelRelay {
  const bus = new EventEmitter();
  return {
    async publish(jobId) {
      bus.emit(CHANNEL, jobId);
    },
    async subscribe(onCancel) {
      bus.on(CHANNEL, onCancel);
    },
    async close() {
      bus.removeAllListeners();
    },
  };
}

export function redisCancelRelay(url: string): CancelRelay {
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  let sub: Redis | undefined;
  return {
    async publish(jobId) {
      if (pub.status === 'wait') await pub.connect();
      await pub.publish(CHANNEL, jobId);
    },
    async subscribe(onCancel) {
      sub = new Redis(url, { maxRetriesPerRequest: null });
      sub.on('message', (channel: string, message: string) => {
        if (channel === CHANNEL) onCancel(message);
      });
      await sub.subscribe(CHANNEL);
    },
    async close() {
      pub.disconnect();
      sub?.disconnect();
    },
  };
}

export function postgresCancelRelay(connectionString: string): CancelRelay {
  const pool = new pg.Pool({ connectionString, max: 1 });
  let listener: pg.Client | undefined;
  return {
    async publish(jobId) {
      await pool.query('SELECT pg_notify($1, $2)', [CHANNEL, jobId]);
    },
    async subscribe(onCancel) {
      listener = new pg.Client({ connectionString, keepAlive: true });
      await listener.connect();
      listener.on('notification', (msg) => {
        if (msg.channel === CHANNEL && msg.payload) onCancel(msg.payload);
      });
      listener.on('error', () => {
        // Lost connection: cancellations still arrive through Postgres on the next progress write.
      });
      await listener.query(`LISTEN ${CHANNEL}`);
    },
    async close() {
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}
