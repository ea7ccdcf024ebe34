/**
 * Checkpoints: training state committed atomically with its sha256, under the
 * attempt's lease. Retention keeps the last N, the best by a chosen metric, and
 * the final one.
 */
import { createHash } from 'node:crypto';
import { Prisma, type PrismaClient } from '../generated/client.ts';
import { LeaseLostError } from './jobs.ts';

export interface NewCheckpoint {
  attempt: number;
  epoch: number;
  step: number;
  kind: 'epoch' | 'final' | 'stop';
  bytes: Uint8Array;
  metrics: Record<string, number | null>;
}

export interface Retention {
  keepLast: number;
  /** Metric that picks the best checkpoint (kept besides the last N), and whether lower is better. */
  best?: { metric: string; mode: 'min' | 'max' };
}

export interface CheckpointInfo {
  id: string;
  attempt: number;
  epoch: number;
  step: number;
  kind: string;
  size: number;
  sha256: string;
  metrics: unknown;
  createdAt: Date;
}

const INFO = { id: true, attempt: true, epoch: true, step: true, kind: true, size: true, sha256: true, metrics: true, createdAt: true } as const;

function toInfo(r: { size: bigint } & Omit<CheckpointInfo, 'size'>): CheckpointInfo {
  return { ...r, size: Number(r.size) };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function commitCheckpoint(prisma: PrismaClient, jobId: string, lease: string, c: NewCheckpoint, retention: Retention): Promise<CheckpointInfo> {
  const sha256 = sha256Hex(c.bytes);
  return prisma.$transaction(async (tx) => {
    const held = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM job WHERE id = ${jobId}::uuid AND lease = ${lease} FOR UPDATE`;
    if (held.length === 0) throw new LeaseLostError(jobId);
    const row = await tx.checkpoint.create({
      data: {
        jobId,
        attempt: c.attempt,
        epoch: c.epoch,
        step: c.step,
        kind: c.kind,
        bytes: Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength) as unknown as Uint8Array<ArrayBuffer>,
        size: BigInt(c.bytes.byteLength),
        sha256,
        metrics: c.metrics as Prisma.InputJsonValue,
      },
      select: INFO,
    });
    const keep = new Set<string>();
    const last = await tx.checkpoint.findMany({ where: { jobId }, orderBy: [{ step: 'desc' }, { createdAt: 'desc' }], take: Math.max(1, retention.keepLast), select: { id: true } });
    for (const r of last) keep.add(r.id);
    const best = retention.best ? await bestCheckpointId(tx, jobId, retention.best) : null;
    if (best) keep.add(best);
    await tx.checkpoint.deleteMany({ where: { jobId, kind: { not: 'final' }, id: { notIn: [...keep] } } });
    return toInfo(row);
  });
}

async function bestCheckpointId(tx: Prisma.TransactionClient, jobId: string, best: { metric: string; mode: 'min' | 'max' }): Promise<string | null> {
  const order = best.mode === 'min' ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM checkpoint
     WHERE job_id = ${jobId}::uuid
       AND jsonb_typeof(metrics -> ${best.metric}) = 'number'
     ORDER BY (metrics ->> ${best.metric})::float8 ${order}, step DESC
     LIMIT 1`;
  return rows[0]?.id ?? null;
}

export async function listCheckpoints(prisma: PrismaClient, jobId: string): Promise<CheckpointInfo[]> {
  const rows = await prisma.checkpoint.findMany({ where: { jobId }, orderBy: [{ step: 'asc' }, { createdAt: 'asc' }], select: INFO });
  return rows.map(toInfo);
}

/** 'latest', 'best' (by the job's monitored metric) or a checkpoint id; null when there is none. */
export async function findCheckpoint(
  prisma: PrismaClient,
  jobId: string,
  which: 'latest' | 'best' | { id: string },
  best?: { metric: string; mode: 'min' | 'max' },
): Promise<(CheckpointInfo & { bytes: Uint8Array }) | null> {
  let id: string | null;
  if (which === 'latest') {
    id = (await prisma.checkpoint.findFirst({ where: { jobId }, orderBy: [{ step: 'desc' }, { createdAt: 'desc' }], select: { id: true } }))?.id ?? null;
  } else if (which === 'best') {
    id = best ? await prisma.$transaction((tx) => bestCheckpointId(tx, jobId, best)) : null;
    if (id === null) return findCheckpoint(prisma, jobId, 'latest');
  } else {
    id = which.id;
  }
  if (id === null) return null;
  const row = await prisma.checkpoint.findFirst({ where: { id, jobId }, select: { ...INFO, bytes: true } });
  return row ? { ...toInfo(row), bytes: row.bytes } : null;
}
