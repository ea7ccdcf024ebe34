import type { LearningRateSchedule } from './learningRateSchedule.ts';

export interface PiecewiseConstantDecayConfig {
  /** Strictly increasing step boundaries. */
  boundaries: number[];
  /** One more value than boundaries. */
  values: number[];
}

/**
 * Keras `PiecewiseConstantDecay`: `values[0]` while `step <= boundaries[0]`,
 * `values[i]` while `boundaries[i-1] < step <= boundaries[i]`, and the last
 * value after the last boundary.
 */
export function piecewiseConstantDecay(c: PiecewiseConstantDecayConfig): LearningRateSchedule {
  const boundaries = c.boundaries.slice();
  const values = c.values.slice();
  const f = (step: number): number => {
    for (let i = 0; i < boundaries.length; i++) if (step <= boundaries[i]) return values[i];
    return values[values.length - 1];
  };
  return Object.assign(f, { type: 'piecewiseConstantDecay' });
}
