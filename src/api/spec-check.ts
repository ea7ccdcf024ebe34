/**
 * A model spec, checked: the engine validates it and summarises it (shapes,
 * parameters, FLOPs, memory) without allocating anything; this adds whether
 * it is within the tenant's limits. An invalid spec is a 422 `invalid_spec`
 * carrying the engine's message (layer index, field, shapes).
 */
import { SpecError } from '../engine/errors.ts';
import { summarizeSpec, type SpecSummary, type SummarizeOptions } from '../engine/model/summarizeSpec.ts';
import type { Limits } from '../shared/config.ts';
import { AppError } from '../shared/errors.ts';

export interface CheckedSpec {
  summary: SpecSummary;
  withinLimits: boolean;
  reasons: string[];
}

export function summarize(spec: unknown, options: SummarizeOptions = {}): SpecSummary {
  try {
    return summarizeSpec(spec, options);
  } catch (e) {
    if (e instanceof SpecError) throw new AppError('invalid_spec', e.message, { cause: e });
    throw e;
  }
}

/** Reasons the model is over the limits: its trainable parameters, and its estimated training memory at the summary's batch size. */
export function overLimits(summary: SpecSummary, limits: Pick<Limits, 'maxParams' | 'maxMemoryBytes'>): string[] {
  const reasons: string[] = [];
  if (summary.trainableParams > limits.maxParams) {
    reasons.push(`${summary.trainableParams} trainable parameters, over maxParams ${limits.maxParams}`);
  }
  if (summary.memory.totalTrainingBytes > limits.maxMemoryBytes) {
    reasons.push(
      `about ${summary.memory.totalTrainingBytes} bytes to train at batch size ${summary.memory.batchSize}, over maxMemoryBytes ${limits.maxMemoryBytes}`,
    );
  }
  return reasons;
}

export function checkSpec(spec: unknown, limits: Limits, options: SummarizeOptions = {}): CheckedSpec {
  const summary = summarize(spec, options);
  const reasons = overLimits(summary, limits);
  return { summary, withinLimits: reasons.length === 0, reasons };
}

/** For storing a spec: valid, and not over maxParams (memory depends on the batch size a job picks). */
export function checkStorableSpec(spec: unknown, limits: Limits): SpecSummary {
  const summary = summarize(spec);
  if (summary.trainableParams > limits.maxParams) {
    throw new AppError('limit_exceeded', `the model has ${summary.trainableParams} trainable parameters, over this tenant's maxParams of ${limits.maxParams}`);
  }
  return summary;
}
