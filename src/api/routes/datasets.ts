/** Data sets: upload (multipart, streamed, size-capped), list, read, delete. */
import type { App } from '../types.ts';
import type { PrismaClient } from '../../db/generated/client.ts';
import type { Limits } from '../../shared/config.ts';

export async function datasetRoutes(_app: App, _opts: { prisma: PrismaClient; limits: Limits }): Promise<void> {}
