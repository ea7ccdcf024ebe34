/** Tenants and their API keys. Keys are stored as hashes; the plain key is returned once, at creation. */
import type { PrismaClient } from '../generated/client.ts';
import { displayPrefix, generateApiKey, hashApiKey } from '../../shared/api-key.ts';

export const DEFAULT_TENANT = 'default';

export interface TenantRef {
  id: string;
  name: string;
}

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  tenant: TenantRef;
}

export interface KeyListing {
  id: string;
  prefix: string;
  name: string | null;
  tenant: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

async function ensureTenant(prisma: PrismaClient, name: string): Promise<TenantRef> {
  const t = await prisma.tenant.upsert({ where: { name }, create: { name }, update: {}, select: { id: true, name: true } });
  return t;
}

export async function createApiKey(prisma: PrismaClient, tenantName: string, name?: string): Promise<CreatedKey> {
  const tenant = await ensureTenant(prisma, tenantName);
  const key = generateApiKey();
  const row = await prisma.apiKey.create({
    data: { tenantId: tenant.id, name: name ?? null, prefix: displayPrefix(key), hash: hashApiKey(key) },
    select: { id: true, prefix: true },
  });
  return { id: row.id, key, prefix: row.prefix, tenant };
}

/** Registers a known key (TRAINYARD_API_KEY) for a tenant; running it again changes nothing. */
export async function registerApiKey(prisma: PrismaClient, tenantName: string, key: string, name = 'TRAINYARD_API_KEY'): Promise<void> {
  const tenant = await ensureTenant(prisma, tenantName);
  await prisma.apiKey.upsert({
    where: { hash: hashApiKey(key) },
    create: { tenantId: tenant.id, name, prefix: displayPrefix(key), hash: hashApiKey(key) },
    update: {},
  });
}

export async function listApiKeys(prisma: PrismaClient, tenantName?: string): Promise<KeyListing[]> {
  const rows = await prisma.apiKey.findMany({
    where: tenantName === undefined ? {} : { tenant: { name: tenantName } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    include: { tenant: { select: { name: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    prefix: r.prefix,
    name: r.name,
    tenant: r.tenant.name,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    revokedAt: r.revokedAt,
  }));
}

/** Revokes by id or by the displayed prefix; returns how many keys were revoked. */
export async function revokeApiKey(prisma: PrismaClient, idOrPrefix: string): Promise<number> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPrefix);
  const r = await prisma.apiKey.updateMany({
    where: { revokedAt: null, ...(isUuid ? { id: idOrPrefix } : { prefix: idOrPrefix }) },
    data: { revokedAt: new Date() },
  });
  return r.count;
}

/** The tenant a presented key belongs to, or undefined for an unknown or revoked key. */
export async function tenantForKey(prisma: PrismaClient, key: string): Promise<(TenantRef & { keyId: string; lastUsedAt: Date | null }) | undefined> {
  const row = await prisma.apiKey.findUnique({
    where: { hash: hashApiKey(key) },
    select: { id: true, revokedAt: true, lastUsedAt: true, tenant: { select: { id: true, name: true } } },
  });
  if (!row || row.revokedAt) return undefined;
  return { id: row.tenant.id, name: row.tenant.name, keyId: row.id, lastUsedAt: row.lastUsedAt };
}

export async function touchApiKey(prisma: PrismaClient, keyId: string): Promise<void> {
  await prisma.apiKey.update({ where: { id: keyId }, data: { lastUsedAt: new Date() } });
}
