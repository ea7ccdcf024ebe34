/**
 * A tenant's limits: the configured defaults, overridden by the numbers in
 * the tenant's `limits` JSON column (e.g. `{ "maxParams": 1000000 }`).
 * Anything that is not a known limit with a positive number is ignored.
 */
import type { PrismaClient } from '../db/generated/client.ts';
import type { Limits } from '../shared/config.ts';

const LIMIT_KEYS = ['maxParams', 'maxMemoryBytes', 'maxTrainingFlops', 'maxUploadBytes'] as const satisfies readonly (keyof Limits)[];

export function mergeLimits(defaults: Limits, overrides: unknown): Limits {
  const out: Limits = { ...defaults };
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) return out;
  const o = overrides as Record<string, unknown>;
  for (const k of LIMIT_KEYS) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[k] = v;
  }
  return out;
}

export async function tenantLimits(prisma: PrismaClient, tenantId: string, defaults: Limits): Promise<Limits> {
  const t = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { limits: true } });
  return mergeLimits(defaults, t?.limits);
}
