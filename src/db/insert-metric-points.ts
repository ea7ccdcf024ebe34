import type { PrismaClient } from './generated/client.ts';

export interface MetricPointInput {
  series: string;
  step: number;
  epoch: number;
  /** Any double, including NaN and ±Infinity. */
  value: number;
  time?: Date;
}

/**
 * Bulk-inserts one job's metric points in one statement, skipping (jobId, series, step)
 * already present (a retried batch is a no-op). Returns how many were inserted.
 *
 * Use this instead of `prisma.metricPoint.createMany`: Prisma 7.10 loses
 * non-finite floats in a multi-row createMany (every NaN/±Infinity in the batch
 * is written as the first non-finite value of the batch; they all serialise to
 * JSON `null` somewhere on the way). Values travel here as text ('NaN',
 * 'Infinity', '-Infinity', or the shortest round-trip decimal) and are cast to
 * float8 by Postgres, so every double survives exactly (Prisma also turns -0
 * into 0 and overflows on Number.MAX_VALUE, which it writes as a rounded decimal).
 *
 * A job at batch 32 on 2 threads writes about 2,000 points a second, and the embedded
 * database runs on the service's main thread, beside the training threads. So the job id is
 * one parameter, not one per row, and times travel as milliseconds since the epoch, not as
 * text to parse: in PGlite that made a 1,700-point batch 40% cheaper (85-90 ms to 51-58).
 */
export async function insertMetricPoints(prisma: PrismaClient, jobId: string, points: readonly MetricPointInput[]): Promise<number> {
  if (points.length === 0) return 0;
  const series = points.map((p) => p.series);
  const steps = points.map((p) => p.step);
  const epochs = points.map((p) => p.epoch);
  const values = points.map((p) => (Object.is(p.value, -0) ? '-0' : String(p.value)));
  const now = Date.now();
  const times = points.map((p) => p.time?.getTime() ?? now);
  return prisma.$executeRaw`
    INSERT INTO "metric_point" ("job_id", "series", "step", "epoch", "value", "time")
    SELECT ${jobId}::uuid, u.series, u.step, u.epoch, u.value::float8, timestamptz 'epoch' + u.ms * interval '1 millisecond'
      FROM unnest(${series}::text[], ${steps}::int4[], ${epochs}::int4[], ${values}::text[], ${times}::int8[])
        AS u(series, step, epoch, value, ms)
    ON CONFLICT ("job_id", "series", "step") DO NOTHING`;
}
