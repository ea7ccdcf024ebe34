/** What a job produces: metrics (paged, downsampled), a live event stream, checkpoints, weights, predictions. */
import type { App } from '../types.ts';
import type { PrismaClient } from '../../db/generated/client.ts';

export async function jobOutputRoutes(_app: App, _opts: { prisma: PrismaClient }): Promise<void> {}
