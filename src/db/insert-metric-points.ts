import type { PrismaClient } from './generated/client.ts';

export interface MetricPointInput {
  jobId: string;
  series: string;
  step: number;
  epoch: number;
  /** Any double, including NaN and ±Infinity. */
  value: number;
  time?: Date;
}

/**
 * Bulk-inserts metric points in one statement, skipping (jobId, series, step)
 * already present (a retried batch is a no-op). Returns how many were inserted.
 *
 * Use this instead of `prisma.metricPoint.createMany`: Prisma 7.10 loses
 * non-finite floats in a multi-row createMany (every NaN/±Infinity in the batch
 * is written as the first non-finite value of the batch; they all serialise to
 * JSON `null` somewhere on the way). Values travel here as text ('NaN',
 * 'Infinity', '-Infinity', or the shortest round-trip decimal) and are cast to
 * float8 by Postgres, so every double survives exactly (Prisma also turns -0
 * into 0 and overflows on Number.MAX_VALUE, which it writes as a rounded decimal).
 */
export async function insertMetricPoints(prisma: PrismaClient, points: readonly MetricPointInput[]): Promise<number> {
  if (points.length === 0) return 0;
  const jobIds = points.map((p) => p.jobId);
  const series = points.map((p) => p.series);
  const steps = points.map((p) => p.step);
  const epochs = points.map((p) => p.epoch);
  const values = points.map((p) => (Object.is(p.value, -0) ? '-0' : String(p.value)));
  const now = new Date().toISOString();
  const times = points.map((p) => (p.time ?? null)?.toISOString() ?? now);
  return prisma.$executeRaw`
    INSERT INTO "metric_point" ("job_id", "series", "step", "epoch", "value", "time")
    SELECT u.job_id::uuid, u.series, u.step, u.epoch, u.value::float8, u.time::timestamptz
      FROM unnest(${jobIds}::text[], ${series}::text[], ${steps}::int4[], ${epochs}::int4[], ${values}::text[], ${times}::text[])
        AS u(job_id, series, step, epoch, value, time)
    ON CONFLICT ("job_id", "series", "step") DO NOTHING`;
}
