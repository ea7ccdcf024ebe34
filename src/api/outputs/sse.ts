/**
 * A Server-Sent Events response on Fastify 5: the route validates and answers
 * errors normally, then calls `openSse(reply)`, which takes the response over
 * (`reply.hijack()`: Fastify sends nothing more and runs no more hooks) and
 * writes the stream to `reply.raw`. Writes respect back-pressure; a comment
 * heartbeat keeps proxies from closing an idle stream; `closed` resolves and
 * `signal` aborts when the client goes away or the stream is ended.
 */
import { once } from 'node:events';
import type { FastifyReply } from 'fastify';

export interface SseEvent {
  id?: string;
  event?: string;
  data: unknown;
}

export interface SseStream {
  /** Aborted when the client disconnects or `end()` is called. */
  readonly signal: AbortSignal;
  send(e: SseEvent): Promise<void>;
  comment(text: string): Promise<void>;
  end(): void;
}

function field(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`SSE ${name} must be one line`);
  return `${name}: ${value}\n`;
}

/** One event's wire text. `data` is JSON (one line: JSON.stringify escapes newlines). */
export function formatSseEvent(e: SseEvent): string {
  return (e.event ? field('event', e.event) : '') + (e.id !== undefined ? field('id', e.id) : '') + `data: ${JSON.stringify(e.data)}\n\n`;
}

export function openSse(reply: FastifyReply, opts: { heartbeatMs: number; retryMs?: number }): SseStream {
  const raw = reply.raw;
  const done = new AbortController();
  reply.hijack();
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  raw.flushHeaders();
  const stop = (): void => {
    clearInterval(heartbeat);
    done.abort();
  };
  raw.once('close', stop);

  const write = async (text: string): Promise<void> => {
    if (done.signal.aborted || raw.destroyed || raw.writableEnded) return;
    if (!raw.write(text)) {
      try {
        await once(raw, 'drain', { signal: done.signal });
      } catch {
        // the client went away while we waited
      }
    }
  };
  const heartbeat = setInterval(() => void write(': keep-alive\n\n'), opts.heartbeatMs);
  heartbeat.unref();
  if (opts.retryMs !== undefined) void write(`retry: ${opts.retryMs}\n\n`);

  return {
    signal: done.signal,
    send: (e) => write(formatSseEvent(e)),
    comment: (text) => write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`),
    end() {
      if (!raw.writableEnded) raw.end();
      stop();
    },
  };
}
