/**
 * Refuses non-finite numbers anywhere in a request's query, params or body.
 *
 * JSON.parse turns `1e400` into Infinity, and Fastify's Ajv coercion turns the
 * query strings "Infinity" or "1e400" into Infinity, which then passes
 * `maximum` checks. Runs after validation (so it sees coerced values) and
 * names the first offending field.
 */
import type { App } from './types.ts';
import { AppError } from '../shared/errors.ts';

export function findNonFinite(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  if (ArrayBuffer.isView(value)) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = findNonFinite(value[i], `${path}/${i}`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const p = findNonFinite(v, `${path}/${k}`);
    if (p !== undefined) return p;
  }
  return undefined;
}

export function registerFiniteGuard(app: App): void {
  app.addHook('preHandler', async (request) => {
    for (const [where, value] of [['querystring', request.query], ['params', request.params], ['body', request.body]] as const) {
      const p = findNonFinite(value, where);
      if (p !== undefined) throw new AppError('non_finite_number', `${p} must be a finite number`);
    }
  });
}
