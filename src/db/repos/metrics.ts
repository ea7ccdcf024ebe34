/**
 * Metric points: one row per (job, series, step). Written in batches by the
 * attempt holding the job's lease; a resumed attempt that replays steps writes
 * nothing twice (the first value stays). The id is the read cursor.
 */
import type { PrismaClient } from '../generated/client.ts';
import { LeaseLostError } from './jobs.ts';
import { insertMetricPoints, type MetricPointInput as PointToInsert } from '../insert-metric-points.ts';

/** A point as a job records it: its time always set. */
export interface MetricPointInput extends PointToInsert {
  time: Date;
}

export interface MetricPointRow extends MetricPointInput {
  id: bigint;
}

export async function writeMetrics(prisma: PrismaClient, jobId: string, lease: string, points: readonly MetricPointInput[]): Promise<void> {
  if (points.length === 0) return;
  await prisma.$transaction(async (tx) => {
    const held = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM job WHERE id = ${jobId}::uuid AND lease = ${lease} FOR SHARE`;
    if (held.length === 0) throw new LeaseLostError(jobId);
    // Not createMany: Prisma 7.10 writes every non-finite value of a batch as the first one.
    await insertMetricPoints(tx as unknown as PrismaClient, jobId, points);
  });
}

export async function listMetrics(
  prisma: PrismaClient,
  jobId: string,
  opts: { series?: string[]; afterId?: bigint; limit: number },
): Promise<{ points: MetricPointRow[]; next: bigint | null }> {
  const rows = await prisma.metricPoint.findMany({
    where: {
      jobId,
      ...(opts.series && opts.series.length > 0 ? { series: { in: opts.series } } : {}),
      ...(opts.afterId !== undefined ? { id: { gt: opts.afterId } } : {}),
    },
    orderBy: { id: 'asc' },
    take: opts.limit + 1,
    select: { id: true, series: true, step: true, epoch: true, value: true, time: true },
  });
  const points = rows.slice(0, opts.limit);
  return { points, next: rows.length > opts.limit ? points[points.length - 1].id : null };
}

/**
 * At most `maxPoints` (>= 2) per series, evenly spaced by rank, always keeping each
 * series' first and last point.
 */
export async function downsampleMetrics(
  prisma: PrismaClient,
  jobId: string,
  series: string[] | undefined,
  maxPoints: number,
): Promise<MetricPointRow[]> {
  const filter = series && series.length > 0 ? series : null;
  const rows = await prisma.$queryRaw<Array<{ id: bigint; series: string; step: number; epoch: number; value: number; time: Date }>>`
    SELECT id, series, step, epoch, value, time FROM (
      SELECT id, series, step, epoch, value, time,
             row_number() OVER (PARTITION BY series ORDER BY step) - 1 AS r,
             count(*) OVER (PARTITION BY series) AS n
        FROM metric_point
       WHERE job_id = ${jobId}::uuid AND (${filter}::text[] IS NULL OR series = ANY(${filter}::text[]))
    ) ranked
    -- Rank r is kept when r = round(k * s) for some k, s = (n - 1) / (maxPoints - 1) >= 1;
    -- the only candidates are k = floor(r / s) and k = ceil(r / s). k = 0 and k = maxPoints - 1 give the ends.
    WHERE n <= ${maxPoints}
       OR round(floor(r / ((n - 1) / (${maxPoints}::float8 - 1))) * ((n - 1) / (${maxPoints}::float8 - 1))) = r
       OR round(ceil(r / ((n - 1) / (${maxPoints}::float8 - 1))) * ((n - 1) / (${maxPoints}::float8 - 1))) = r
    ORDER BY series, step`;
  return rows.map((r) => ({ ...r, value: Number(r.value) }));
}
