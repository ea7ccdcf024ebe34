/**
 * The configuration of a GAN job as stored on the job and given to the worker:
 * the training options that apply to GANs (epochs, batchSize, seed, checkpoints,
 * maxAttempts) and the GAN's own (an optimizer per network, discriminator steps
 * per generator step, the number of fixed latent vectors of the sample grid, and
 * the value range of the data set's samples). The two network specs are the
 * job's `spec`: `{ generator, discriminator }`.
 */

/** The metric names of a GAN step and epoch (the engine's GAN_METRICS). */
export const GAN_SERIES = ['d_loss', 'g_loss', 'd_acc_real', 'd_acc_fake'] as const;

/** Optimizer of either network when none is given (DCGAN's). */
export const DEFAULT_GAN_OPTIMIZER = { type: 'adam', learningRate: 0.0002, beta1: 0.5 } as const;

/** `[lo, hi]` of the data set's values, or `auto` (see {@link autoDataRange}). */
export type DataRange = 'auto' | [number, number];

export interface ResolvedGanOptions {
  generatorOptimizer: unknown;
  discriminatorOptimizer: unknown;
  dSteps: number;
  fixedSamples: number;
  dataRange: DataRange;
}

export interface ResolvedGanTraining {
  epochs: number;
  batchSize: number;
  /** Always true: every step draws its real batches from a fresh shuffle. */
  shuffle: true;
  seed: number;
  checkpoints: { keepLast: number; bestMetric?: string; mode?: 'min' | 'max'; minIntervalSeconds?: number };
  maxAttempts: number;
  gan: ResolvedGanOptions;
}

export interface GanSpec {
  generator: unknown;
  discriminator: unknown;
}

/**
 * The range `auto` stands for, from the data's smallest and largest value: [0, 1]
 * when they are within it, else [-1, 1] when within that, else [0, 255] (8-bit
 * pixels), else the data's own [min, max] ([min, min + 1] for constant data).
 */
export function autoDataRange(min: number, max: number): [number, number] {
  if (min >= 0 && max <= 1) return [0, 1];
  if (min >= -1 && max <= 1) return [-1, 1];
  if (min >= 0 && max <= 255) return [0, 255];
  return max > min ? [min, max] : [min, min + 1];
}

/** Whether samples of this shape can be drawn: [h, w] (grayscale) or [h, w, 1|3|4] (channels-last). */
export function isImageShape(shape: readonly number[]): boolean {
  return shape.length === 2 || (shape.length === 3 && [1, 3, 4].includes(shape[2]));
}

/** The grid n samples are drawn in: ceil(sqrt(n)) columns, full rows only (at least one). */
export function gridLayout(n: number): { rows: number; cols: number } {
  const cols = Math.min(n, Math.ceil(Math.sqrt(n)));
  return { rows: Math.max(1, Math.floor(n / cols)), cols };
}
