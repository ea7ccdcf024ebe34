/** Named model specs of a tenant: the spec as the client sent it, and its parameter count. */
import { Prisma, type ModelSpec, type PrismaClient } from '../generated/client.ts';

export interface NewModelSpec {
  tenantId: string;
  name: string;
  spec: Prisma.InputJsonValue;
  paramCount: number;
}

/** The new spec, or `duplicate` when the tenant already has a spec of that name. */
export async function createModelSpec(prisma: PrismaClient, m: NewModelSpec): Promise<ModelSpec | 'duplicate'> {
  try {
    return await prisma.modelSpec.create({ data: { ...m, paramCount: BigInt(m.paramCount) } });
  } catch (e) {
    if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') return 'duplicate';
    throw e;
  }
}

export async function getModelSpec(prisma: PrismaClient, tenantId: string, id: string): Promise<ModelSpec | null> {
  return prisma.modelSpec.findFirst({ where: { id, tenantId } });
}

/** Newest first, paged by (createdAt, id). */
export async function listModelSpecs(
  prisma: PrismaClient,
  tenantId: string,
  opts: { limit: number; after?: { createdAt: Date; id: string } },
): Promise<{ models: ModelSpec[]; next: { createdAt: Date; id: string } | null }> {
  const found = await prisma.modelSpec.findMany({
    where: {
      tenantId,
      ...(opts.after ? { OR: [{ createdAt: { lt: opts.after.createdAt } }, { createdAt: opts.after.createdAt, id: { lt: opts.after.id } }] } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: opts.limit + 1,
  });
  const models = found.slice(0, opts.limit);
  const last = models[models.length - 1];
  return { models, next: found.length > opts.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}
