/**
 * Jobs: their rows, status transitions and attempt leases.
 *
 * Every attempt at running a job takes a fresh lease (a random token) and
 * every write it makes afterwards names that lease, so a stale attempt (a
 * worker that was presumed dead, or a duplicate delivery) cannot overwrite a
 * newer one: its writes match no row and it learns that it lost the lease.
 */
import { randomUUID } from 'node:crypto';
import { Prisma, type Job, type JobStatus, type JobTransition, type PrismaClient } from '../generated/client.ts';

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(readonly jobId: string) {
    super(`job ${jobId}: this attempt no longer holds the job's lease`);
  }
}

export const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export type JobWithTransitions = Job & { transitions: JobTransition[] };

export interface NewJob {
  tenantId: string;
  name: string | null;
  type: 'train' | 'gan';
  datasetId: string;
  modelSpecId: string | null;
  spec: Prisma.InputJsonValue;
  training: Prisma.InputJsonValue;
  maxAttempts: number;
  idempotencyKey: string | null;
}

/** Creates a queued job, or returns the one created earlier with the same idempotency key. */
export async function createJob(prisma: PrismaClient, input: NewJob): Promise<{ job: Job; created: boolean }> {
  // A retry that finds the key already used is answered by the caller before it gets here;
  // two submissions racing with one key are settled by the unique index below.
  try {
    const job = await prisma.$transaction(async (tx) => {
      const j = await tx.job.create({ data: { ...input, status: 'queued' } });
      await tx.jobTransition.create({ data: { jobId: j.id, fromStatus: null, toStatus: 'queued', attempt: 0, reason: 'submitted' } });
      return j;
    });
    return { job, created: true };
  } catch (e) {
    // Two identical submissions raced: the loser returns the winner's job.
    if (input.idempotencyKey !== null && e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
      const job = await prisma.job.findUniqueOrThrow({ where: { tenantId_idempotencyKey: { tenantId: input.tenantId, idempotencyKey: input.idempotencyKey } } });
      return { job, created: false };
    }
    throw e;
  }
}

export async function getJob(prisma: PrismaClient, tenantId: string, id: string): Promise<JobWithTransitions | null> {
  return prisma.job.findFirst({ where: { id, tenantId }, include: { transitions: { orderBy: { id: 'asc' } } } });
}

export interface JobPage {
  jobs: Job[];
  next: string | null;
}

function encodeCursor(j: Pick<Job, 'createdAt' | 'id'>): string {
  return Buffer.from(`${j.createdAt.toISOString()}|${j.id}`).toString('base64url');
}

export function decodeJobCursor(cursor: string): { createdAt: Date; id: string } | null {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) return null;
  return { createdAt, id };
}

/** Newest first; the cursor is (createdAt, id), so paging is stable while jobs are added. */
export async function listJobs(
  prisma: PrismaClient,
  tenantId: string,
  opts: { status?: JobStatus[]; limit: number; after?: { createdAt: Date; id: string } },
): Promise<JobPage> {
  const where: Prisma.JobWhereInput = { tenantId };
  if (opts.status && opts.status.length > 0) where.status = { in: opts.status };
  if (opts.after) {
    where.OR = [
      { createdAt: { lt: opts.after.createdAt } },
      { createdAt: opts.after.createdAt, id: { lt: opts.after.id } },
    ];
  }
  const rows = await prisma.job.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: opts.limit + 1 });
  const jobs = rows.slice(0, opts.limit);
  return { jobs, next: rows.length > opts.limit ? encodeCursor(jobs[jobs.length - 1]) : null };
}

export interface Attempt {
  job: Job;
  lease: string;
  attempt: number;
}

/**
 * Starts a new attempt: queued or running (a crashed attempt) becomes running
 * with attempt + 1 and a fresh lease. Returns null when the job is finished,
 * unknown, or was cancelled while it waited.
 */
export async function beginAttempt(prisma: PrismaClient, jobId: string, owner: string, leaseMs: number): Promise<Attempt | null> {
  const lease = randomUUID();
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ status: JobStatus; started_at: Date | null }>>`
      SELECT status, started_at FROM job WHERE id = ${jobId}::uuid FOR UPDATE`;
    if (rows.length === 0 || TERMINAL.includes(rows[0].status)) return null;
    const from = rows[0].status;
    const job = await tx.job.update({
      where: { id: jobId },
      data: {
        status: 'running',
        attempt: { increment: 1 },
        lease,
        leaseOwner: owner,
        leaseExpiresAt: new Date(Date.now() + leaseMs),
        startedAt: rows[0].started_at ?? new Date(),
      },
    });
    await tx.jobTransition.create({
      data: { jobId, fromStatus: from, toStatus: 'running', attempt: job.attempt, reason: from === 'running' ? 'resumed after the previous attempt ended without finishing' : `started on ${owner}` },
    });
    return { job, lease, attempt: job.attempt };
  });
}

/** Lease-guarded update of a running job's progress; also extends the lease. Throws LeaseLostError. */
export async function recordProgress(
  prisma: PrismaClient,
  jobId: string,
  lease: string,
  data: { phase?: string; progress?: Prisma.InputJsonValue; latestMetrics?: Prisma.InputJsonValue; leaseMs: number },
): Promise<{ cancelRequested: boolean }> {
  const r = await prisma.job.updateManyAndReturn({
    where: { id: jobId, lease, status: 'running' },
    data: {
      phase: data.phase,
      progress: data.progress,
      latestMetrics: data.latestMetrics,
      leaseExpiresAt: new Date(Date.now() + data.leaseMs),
    },
    select: { cancelRequestedAt: true },
  });
  if (r.length === 0) throw new LeaseLostError(jobId);
  return { cancelRequested: r[0].cancelRequestedAt !== null };
}

/** Ends the attempt holding `lease` in a terminal status, or back in the queue (`queued`). Throws LeaseLostError. */
export async function finishAttempt(
  prisma: PrismaClient,
  jobId: string,
  lease: string,
  to: JobStatus,
  info: { reason?: string; failureCode?: string; phase?: string } = {},
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const terminal = TERMINAL.includes(to);
    const r = await tx.job.updateMany({
      where: { id: jobId, lease, status: 'running' },
      data: {
        status: to,
        lease: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        phase: info.phase ?? (terminal ? to : 'waiting'),
        finishedAt: terminal ? new Date() : null,
        failureCode: to === 'failed' ? (info.failureCode ?? 'failed') : null,
        failureReason: to === 'failed' ? (info.reason ?? null) : null,
      },
    });
    if (r.count === 0) throw new LeaseLostError(jobId);
    const { attempt } = await tx.job.findUniqueOrThrow({ where: { id: jobId }, select: { attempt: true } });
    await tx.jobTransition.create({ data: { jobId, fromStatus: 'running', toStatus: to, attempt, reason: info.reason ?? null } });
  });
}

/** Fails a job whatever attempt holds it (for a job that keeps crashing its workers). */
export async function failJob(prisma: PrismaClient, jobId: string, failureCode: string, reason: string): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ status: JobStatus; attempt: number }>>`SELECT status, attempt FROM job WHERE id = ${jobId}::uuid FOR UPDATE`;
    if (rows.length === 0 || TERMINAL.includes(rows[0].status)) return false;
    await tx.job.update({
      where: { id: jobId },
      data: { status: 'failed', lease: null, leaseOwner: null, leaseExpiresAt: null, phase: 'failed', finishedAt: new Date(), failureCode, failureReason: reason },
    });
    await tx.jobTransition.create({ data: { jobId, fromStatus: rows[0].status, toStatus: 'failed', attempt: rows[0].attempt, reason } });
    return true;
  });
}

export type CancelOutcome = 'cancelled' | 'requested' | 'finished' | 'not_found';

/**
 * A queued job is cancelled at once; a running one is marked, and the worker
 * holding it stops within a step or two (it is also told directly, see the
 * cancel relay). A finished job cannot be cancelled.
 */
export async function requestCancel(prisma: PrismaClient, tenantId: string, jobId: string): Promise<CancelOutcome> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ status: JobStatus; attempt: number }>>`
      SELECT status, attempt FROM job WHERE id = ${jobId}::uuid AND tenant_id = ${tenantId}::uuid FOR UPDATE`;
    if (rows.length === 0) return 'not_found';
    const { status, attempt } = rows[0];
    if (TERMINAL.includes(status)) return 'finished';
    if (status === 'queued') {
      await tx.job.update({ where: { id: jobId }, data: { status: 'cancelled', phase: 'cancelled', cancelRequestedAt: new Date(), finishedAt: new Date() } });
      await tx.jobTransition.create({ data: { jobId, fromStatus: 'queued', toStatus: 'cancelled', attempt, reason: 'cancelled before it started' } });
      return 'cancelled';
    }
    await tx.job.update({ where: { id: jobId }, data: { cancelRequestedAt: new Date() } });
    return 'requested';
  });
}

/** Jobs Postgres says should be in the queue: queued, or running with an expired lease. */
export async function jobsToReconcile(prisma: PrismaClient, now: Date = new Date()): Promise<Array<{ id: string; status: JobStatus }>> {
  return prisma.job.findMany({
    where: { OR: [{ status: 'queued' }, { status: 'running', OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lt: now } }] }] },
    select: { id: true, status: true },
    orderBy: { createdAt: 'asc' },
  });
}
