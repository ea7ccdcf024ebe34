/**
 * The one definition of which checkpoint is the latest and which is the best,
 * decided from the listing alone (no checkpoint bytes are read): latest =
 * highest step (then newest); best = the job's `checkpoints.bestMetric` (a
 * number in the checkpoint's metrics) ordered by its mode, ties to the higher
 * step; no best falls back to latest. Retention and downloads both use it.
 */
import type { CheckpointInfo } from './checkpoints.ts';
import type { ResolvedTrainingConfig } from '../../shared/training-config.ts';

export type CheckpointSelector = 'latest' | 'best' | string;

export interface BestRule {
  metric: string;
  mode: 'min' | 'max';
}

/** The job's best-checkpoint rule, from its stored (resolved) training config. */
export function bestRule(training: unknown): BestRule | undefined {
  const c = (training as Partial<ResolvedTrainingConfig> | null)?.checkpoints;
  if (!c || typeof c.bestMetric !== 'string') return undefined;
  return { metric: c.bestMetric, mode: c.mode === 'max' ? 'max' : 'min' };
}

function metricOf(c: CheckpointInfo, metric: string): number | undefined {
  const m = c.metrics as Record<string, unknown> | null;
  const v = m && typeof m === 'object' ? m[metric] : undefined;
  return typeof v === 'number' ? v : undefined;
}

export function latestOf(list: readonly CheckpointInfo[]): CheckpointInfo | undefined {
  let out: CheckpointInfo | undefined;
  for (const c of list) {
    if (!out || c.step > out.step || (c.step === out.step && c.createdAt >= out.createdAt)) out = c;
  }
  return out;
}

/**
 * Whether `v` is at least as good as `than` by the rule: ties count, so among equal values the
 * later checkpoint (higher step) is the best. The training thread holds back best epochs by
 * the same test (src/workers/tasks/epoch-checkpoints.ts), so both choose alike.
 */
export function atLeastAsGood(v: number, than: number, mode: BestRule['mode']): boolean {
  return mode === 'min' ? v <= than : v >= than;
}

/** The best checkpoint by the rule, or undefined when none carries the metric as a number. */
export function bestOf(list: readonly CheckpointInfo[], rule: BestRule | undefined): CheckpointInfo | undefined {
  if (!rule) return undefined;
  let out: CheckpointInfo | undefined;
  let outValue = 0;
  for (const c of list) {
    const v = metricOf(c, rule.metric);
    if (v === undefined) continue;
    const better = !out || (v === outValue ? c.step > out.step : atLeastAsGood(v, outValue, rule.mode));
    if (better) {
      out = c;
      outValue = v;
    }
  }
  return out;
}

export function chooseCheckpoint(list: readonly CheckpointInfo[], which: CheckpointSelector, rule: BestRule | undefined): CheckpointInfo | undefined {
  if (which === 'latest') return latestOf(list);
  if (which === 'best') return bestOf(list, rule) ?? latestOf(list);
  return list.find((c) => c.id === which);
}
