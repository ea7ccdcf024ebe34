import type { LearningRateSchedule } from './learningRateSchedule.ts';

export interface ExponentialDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole steps of `decaySteps` (default false). */
  staircase?: boolean;
}

/** Keras `ExponentialDecay`: `lr = initial * decayRate ^ (step / decaySteps)`. */
export function exponentialDecay(c: ExponentialDecayConfig): LearningRateSchedule {
  const { initialLearningRate, decaySteps, decayRate } = c;
  const staircase = c.staircase ?? false;
  const f = (step: number): number => {
    let p = step / decaySteps;
    if (staircase) p = Math.floor(p);
    return initialLearningRate * Math.pow(decayRate, p);
  };
  return Object.assign(f, { type: 'exponentialDecay' });
}
