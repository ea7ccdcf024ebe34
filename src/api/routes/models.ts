/** Model specs: dry-run validation with a summary, and named stored specs. */
import type { App } from '../types.ts';
import type { PrismaClient } from '../../db/generated/client.ts';
import type { Limits } from '../../shared/config.ts';

export async function modelRoutes(_app: App, _opts: { prisma: PrismaClient; limits: Limits }): Promise<void> {}
