/**
 * A Trainyard service in child processes, for fault tests: start and kill
 * roles, talk to them over real HTTP. The configuration follows the
 * environment: embedded by default (one `all` process), Postgres (+ Redis)
 * when DATABASE_URL (and REDIS_URL) are set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, startTrainyard, waitForReady, type RunningProcess } from './process.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { multipartBody } from './multipart.ts';

export const SERVICE_KEY = 'ty_fault_tests_key_0123456789abcdef';

export interface ServiceEnv {
  env: NodeJS.ProcessEnv;
  base: string;
  auth: { authorization: string };
  embedded: boolean;
  cleanup(): Promise<void>;
}

export async function serviceEnv(extra: NodeJS.ProcessEnv = {}): Promise<ServiceEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ty-svc-'));
  const db: TestDatabase | undefined = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    TRAINYARD_DATA_DIR: dataDir,
    DATABASE_URL: db?.url ?? '',
    REDIS_URL: process.env.REDIS_URL ?? '',
    PORT: String(port),
    HOST: '127.0.0.1',
    TRAINYARD_API_KEY: SERVICE_KEY,
    TRAINYARD_QUEUE: `faults-${randomBytes(5).toString('hex')}`,
    TRAINYARD_LOCK_MS: '2000',
    TRAINYARD_LEASE_MS: '4000',
    TRAINYARD_RECONCILE_MS: '1000',
    TRAINYARD_SHUTDOWN_GRACE_MS: '10000',
    ...extra,
  };
  return {
    env,
    base: `http://127.0.0.1:${port}`,
    auth: { authorization: `Bearer ${SERVICE_KEY}` },
    embedded: db === undefined,
    async cleanup() {
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startRole(s: ServiceEnv, role: 'all' | 'api' | 'worker', env: NodeJS.ProcessEnv = {}): Promise<RunningProcess> {
  const p = startTrainyard([role], { ...s.env, ...env });
  if (role !== 'worker') await waitForReady(s.base, 120_000, p);
  return p;
}

export async function stop(p: RunningProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill(signal);
  return p.exited;
}

export async function api<T = Record<string, unknown>>(s: ServiceEnv, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(`${s.base}${path}`, {
    method,
    headers: { ...s.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as T };
}

export async function uploadIdx(s: ServiceEnv, name: string, x: Uint8Array, y: Uint8Array): Promise<string> {
  const { payload, headers } = multipartBody([
    { name: 'format', value: 'idx' },
    { name: 'name', value: name },
    { name: 'x', filename: 'x.idx', content: x },
    { name: 'y', filename: 'y.idx', content: y },
  ]);
  const r = await fetch(`${s.base}/v1/datasets`, { method: 'POST', headers: { ...s.auth, ...headers }, body: payload });
  const body = (await r.json()) as { id: string; message?: string };
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${JSON.stringify(body)}`);
  return body.id;
}

export async function poll<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
