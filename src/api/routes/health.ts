/** Liveness and readiness probes, outside /v1 and without authentication. */
import type { App } from '../types.ts';
import { Type } from 'typebox';

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
const Ready = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]), database: Check, queue: Check });

export interface ReadinessProbe {
  database(): Promise<void>;
  queue(): Promise<void>;
}

async function check(fn: () => Promise<void>, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: App, opts: { probe: ReadinessProbe }): Promise<void> {
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'The process is alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'The database and the queue are reachable (503 otherwise)',
      response: { 200: Ready, 503: Ready },
    },
  }, async (_request, reply) => {
    const [database, queue] = await Promise.all([check(opts.probe.database, 3000), check(opts.probe.queue, 3000)]);
    const ok = database.ok && queue.ok;
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', database, queue });
  });
}
