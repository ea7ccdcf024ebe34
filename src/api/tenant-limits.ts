/**
 * A tenant's limits: the configured defaults, overridden by the positive
 * numbers in the tenant's `limits` JSON column (e.g. `{ "maxParams": 1000000 }`),
 * merged by the same rule job admission uses (effectiveLimits).
 */
import type { PrismaClient } from '../db/generated/client.ts';
import type { Limits } from '../shared/config.ts';
import { effectiveLimits } from './job-admission.ts';

export async function tenantLimits(prisma: PrismaClient, tenantId: string, defaults: Limits): Promise<Limits> {
  const t = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { limits: true } });
  return effectiveLimits(defaults, t?.limits);
}
