/** Turns job rows into the API's JSON: dates as ISO strings, the failure as one object. */
import type { Static } from 'typebox';
import type { Job, JobTransition } from '../db/generated/client.ts';
import { summarizeSpec } from '../engine/index.ts';
import type { ResolvedTrainingConfig } from '../shared/training-config.ts';
import type { GanSpec, ResolvedGanTraining } from '../shared/gan-config.ts';
import { ganFlopsPerRealSample } from './gan-admission.ts';
import type { JobSchema, JobSummarySchema } from './schemas/jobs.ts';

type JobSummaryJson = Static<typeof JobSummarySchema>;
type JobJson = Static<typeof JobSchema>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function jobSummaryView(j: Job): JobSummaryJson {
  return {
    id: j.id,
    name: j.name,
    type: j.type,
    status: j.status,
    phase: j.phase,
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    datasetId: j.datasetId,
    modelId: j.modelSpecId,
    progress: (j.progress as JobSummaryJson['progress']) ?? null,
    latestMetrics: (j.latestMetrics as JobSummaryJson['latestMetrics']) ?? {},
    failure: j.failureCode ? { code: j.failureCode, reason: j.failureReason } : null,
    cancelRequestedAt: iso(j.cancelRequestedAt),
    createdAt: j.createdAt.toISOString(),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
  };
}

function estimate(j: Job): JobJson['estimate'] {
  if (j.type === 'gan') return ganEstimate(j);
  try {
    const t = j.training as unknown as ResolvedTrainingConfig;
    const s = summarizeSpec(j.spec, { batchSize: t.batchSize, optimizer: t.optimizer });
    return { params: s.totalParams, trainingBytes: s.memory.totalTrainingBytes, trainingFlops: s.flops.trainingPerSample };
  } catch {
    return null;
  }
}

/** Both networks: parameters and training memory added, FLOPs per real sample of a GAN step. */
function ganEstimate(j: Job): JobJson['estimate'] {
  try {
    const t = j.training as unknown as ResolvedGanTraining;
    const spec = j.spec as unknown as GanSpec;
    const g = summarizeSpec(spec.generator, { batchSize: t.batchSize, optimizer: t.gan.generatorOptimizer });
    const d = summarizeSpec(spec.discriminator, { batchSize: t.batchSize, optimizer: t.gan.discriminatorOptimizer });
    return {
      params: g.totalParams + d.totalParams,
      trainingBytes: g.memory.totalTrainingBytes + d.memory.totalTrainingBytes,
      trainingFlops: ganFlopsPerRealSample(g, d, t.gan.dSteps),
    };
  } catch {
    return null;
  }
}

export function jobView(j: Job & { transitions: JobTransition[] }): JobJson {
  return {
    ...jobSummaryView(j),
    spec: j.spec,
    training: j.training,
    estimate: estimate(j),
    transitions: j.transitions.map((t) => ({ from: t.fromStatus, to: t.toStatus, attempt: t.attempt, reason: t.reason, at: t.at.toISOString() })),
  };
}
