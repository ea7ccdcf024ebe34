import type { LearningRateSchedule } from './learningRateSchedule.ts';

export interface CosineDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  /** Floor, as a fraction of the rate decayed from (default 0). */
  alpha?: number;
  /** With warmup: rise linearly from `initialLearningRate` to this, then decay from it. */
  warmupTarget?: number;
  warmupSteps?: number;
}

/**
 * Keras `CosineDecay` (with its optional linear warmup):
 * `lr = from * ((1 - alpha) * 0.5 * (1 + cos(pi * min(s, decaySteps) / decaySteps)) + alpha)`,
 * where `from` is `warmupTarget` (after warmup) or `initialLearningRate`.
 */
export function cosineDecay(c: CosineDecayConfig): LearningRateSchedule {
  const { initialLearningRate, decaySteps } = c;
  const alpha = c.alpha ?? 0;
  const warmupSteps = c.warmupSteps ?? 0;
  const warmupTarget = c.warmupTarget;
  const decay = (s: number, from: number): number => {
    const cosine = 0.5 * (1 + Math.cos(Math.PI * (s / decaySteps)));
    return from * ((1 - alpha) * cosine + alpha);
  };
  const f = (step: number): number => {
    if (warmupTarget === undefined) return decay(Math.min(step, decaySteps), initialLearningRate);
    const s = Math.min(step, decaySteps + warmupSteps);
    if (s < warmupSteps) {
      return (warmupTarget - initialLearningRate) * (s / warmupSteps) + initialLearningRate;
    }
    return decay(s - warmupSteps, warmupTarget);
  };
  return Object.assign(f, { type: 'cosineDecay' });
}
