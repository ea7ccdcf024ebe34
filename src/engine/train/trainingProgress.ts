import type { RngState } from '../rng.ts';

/** Where training stands; saved in training checkpoints. */
export interface TrainingProgress {
  /** Epochs fully completed (the next epoch to run). */
  epoch: number;
  /** Batches completed in the current epoch (0 at an epoch boundary). */
  batchInEpoch: number;
  /** Optimizer steps taken. */
  step: number;
  /** Training-stream state just before the current epoch's shuffle (to rebuild its order mid-epoch). */
  epochStartRng: RngState | null;
  /** Running sum of batch loss × batch size, and samples seen, in the current epoch (for a mid-epoch resume's logs). */
  lossSum: number;
  seen: number;
  /** Batch size and training-sample count of the current epoch (a mid-epoch resume must match them). */
  batchSize: number;
  trainCount: number;
  /** Set by loadCheckpoint: the default `initialEpoch` of the next fit. */
  resumeEpoch: number | null;
}
