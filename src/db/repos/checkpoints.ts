/**
 * Checkpoints: training state committed atomically with its sha256, under the
 * attempt's lease. Retention keeps the last N, the best by a chosen metric, and
 * the final one. A GAN checkpoint also carries a PNG of its sample grid.
 */
import { fromBase64, toBase64 } from '../bytea.ts';
import { createHash } from 'node:crypto';
import type { Prisma, PrismaClient } from '../generated/client.ts';
import { LeaseLostError } from './jobs.ts';
import { bestOf, chooseCheckpoint, type BestRule, type CheckpointSelector } from './checkpoint-choice.ts';

export interface NewCheckpoint {
  attempt: number;
  epoch: number;
  step: number;
  kind: 'epoch' | 'final' | 'stop';
  bytes: Uint8Array;
  metrics: Record<string, number | null>;
  /** GAN jobs: the sample grid from the fixed noise, as a PNG (absent when the samples are not images). */
  samplePng?: Uint8Array | null;
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

const EMPTY = new Uint8Array(0);

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
        // The bytes follow as base64 in the same transaction (bytea.ts: 10x faster embedded).
        bytes: EMPTY,
        size: BigInt(c.bytes.byteLength),
        sha256,
        metrics: c.metrics as Prisma.InputJsonValue,
      },
      select: INFO,
    });
    const png = c.samplePng ? toBase64(c.samplePng) : null;
    await tx.$executeRaw`UPDATE checkpoint SET bytes = decode(${toBase64(c.bytes)}, 'base64'),
      sample_png = CASE WHEN ${png}::text IS NULL THEN NULL ELSE decode(${png}::text, 'base64') END
      WHERE id = ${row.id}::uuid`;
    // Keep the last N, the best, and every final checkpoint; the rest go.
    const all = (await tx.checkpoint.findMany({ where: { jobId }, select: INFO })).map(toInfo);
    const keep = new Set(all.slice().sort((x, y) => y.step - x.step || y.createdAt.getTime() - x.createdAt.getTime()).slice(0, Math.max(1, retention.keepLast)).map((c) => c.id));
    const best = bestOf(all, retention.best);
    if (best) keep.add(best.id);
    const drop = all.filter((c) => c.kind !== 'final' && !keep.has(c.id)).map((c) => c.id);
    if (drop.length > 0) await tx.checkpoint.deleteMany({ where: { id: { in: drop } } });
    return toInfo(row);
  });
}


export async function listCheckpoints(prisma: PrismaClient, jobId: string): Promise<CheckpointInfo[]> {
  const rows = await prisma.checkpoint.findMany({ where: { jobId }, orderBy: [{ step: 'asc' }, { createdAt: 'asc' }], select: INFO });
  return rows.map(toInfo);
}

/** Ids of the job's checkpoints that carry a sample grid (without reading the images). */
export async function checkpointsWithSamples(prisma: PrismaClient, jobId: string): Promise<Set<string>> {
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`SELECT id::text AS id FROM checkpoint WHERE job_id = ${jobId}::uuid AND sample_png IS NOT NULL`;
  return new Set(rows.map((r) => r.id));
}

/** A checkpoint's sample grid PNG; null when it has none (or the checkpoint is gone). */
export async function findSamplePng(prisma: PrismaClient, jobId: string, checkpointId: string): Promise<Uint8Array | null> {
  const rows = await prisma.$queryRaw<Array<{ png: string | null }>>`
    SELECT encode(sample_png, 'base64') AS png FROM checkpoint WHERE id = ${checkpointId}::uuid AND job_id = ${jobId}::uuid`;
  const png = rows[0]?.png;
  return png === undefined || png === null ? null : fromBase64(png);
}

/** 'latest', 'best' (by the job's monitored metric) or a checkpoint id, with its bytes; null when there is none. */
export async function findCheckpoint(
  prisma: PrismaClient,
  jobId: string,
  which: CheckpointSelector,
  best?: BestRule,
): Promise<(CheckpointInfo & { bytes: Uint8Array }) | null> {
  const chosen = chooseCheckpoint(await listCheckpoints(prisma, jobId), which, best);
  if (!chosen) return null;
  const rows = await prisma.$queryRaw<Array<{ b64: string }>>`
    SELECT encode(bytes, 'base64') AS b64 FROM checkpoint WHERE id = ${chosen.id}::uuid AND job_id = ${jobId}::uuid`;
  return rows.length > 0 ? { ...chosen, bytes: fromBase64(rows[0].b64) } : null;
}
