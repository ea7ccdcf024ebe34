/** What fit / evaluate / predict need from a model (Sequential implements it). */
import type { Layer } from '../layers/types.ts';
import type { Optimizer } from '../optim/types.ts';
import type { Rng } from '../rng.ts';
import type { LossHead } from './lossHeads.ts';
import type { Metric } from '../metrics/metric.ts';
import type { TrainingProgress } from './trainingProgress.ts';
import type { GradientStrategy } from './gradientStrategy.ts';

export interface FitHost {
  readonly layers: readonly Layer[];
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly outputSize: number;
  readonly outputCols: number;
  readonly lossHead: LossHead | null;
  readonly optimizer: Optimizer | null;
  readonly metricNames: string[];
  readonly trainRng: Rng;
  readonly progress: TrainingProgress;
  stopTraining: boolean;
  createMetrics(names?: readonly string[]): Metric[];
  forward(x: Float32Array, batch: number, training: boolean): Float32Array;
  trainStep(x: Float32Array, y: Float32Array, batch: number, weights: Float32Array | null, epoch: number, gradients?: GradientStrategy): number;
  regularizationPenalty(addGrads?: boolean): number;
  getWeights(): Float32Array;
  setWeights(w: Float32Array): void;
  /** Waits for a weight update still running on another thread (a no-op when none). */
  settle(): void;
  /** A batch buffer where the model's kernels read it in place, and its release. */
  allocateScratch(n: number): Float32Array;
  releaseScratch(x: Float32Array): void;
}
