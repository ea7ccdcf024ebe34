/**
 * Bearer-key authentication for everything under /v1. A missing, malformed,
 * unknown or revoked key gets the same 401 with no detail, so the answer
 * reveals nothing about which keys exist.
 */
import type { FastifyRequest } from 'fastify';
import type { App } from './types.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { tenantForKey, touchApiKey, type TenantRef } from '../db/repos/api-keys.ts';
import { AppError } from '../shared/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: TenantRef;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_\-.~+/]{16,256}=*)$/;
/** lastUsedAt is a hint for people, not an audit log: refresh it at most this often. */
const TOUCH_EVERY_MS = 60_000;

export function requireApiKey(app: App, prisma: PrismaClient): void {
  app.decorateRequest('tenant', null as unknown as TenantRef);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const m = BEARER.exec(request.headers.authorization ?? '');
    if (!m) throw new AppError('unauthorized', 'unauthorized');
    const found = await tenantForKey(prisma, m[1]);
    if (!found) throw new AppError('unauthorized', 'unauthorized');
    request.tenant = { id: found.id, name: found.name };
    if (!found.lastUsedAt || Date.now() - found.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      touchApiKey(prisma, found.keyId).catch((err: unknown) => request.log.warn({ err }, 'could not record key use'));
    }
  });
}
