/** Jobs: submit, list, read, cancel. */
import type { App } from '../types.ts';
import type { PrismaClient } from '../../db/generated/client.ts';
import type { Limits } from '../../shared/config.ts';
import type { TrainingQueue } from '../../queue/training-queue.ts';
import type { CancelRelay } from '../../queue/cancel-relay.ts';

export async function jobRoutes(_app: App, _opts: { prisma: PrismaClient; limits: Limits; queue: TrainingQueue; cancelRelay: CancelRelay }): Promise<void> {}
