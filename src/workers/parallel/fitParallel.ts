/**
 * `model.fit` with the batch gradients computed data-parallel over `threads` threads (see
 * ParallelTrainer): the engine's own fit loop, with a GradientStrategy injected. The helper
 * threads live for this call only. `threads: 1` is exactly `model.fit`.
 */
import type { DataInput, FitOptions, History, Sequential } from '../../engine/index.ts';
import { ParallelTrainer } from './ParallelTrainer.ts';
import type { ParallelTrainerOptions } from './ParallelTrainer.ts';

export interface ParallelFitOptions extends Omit<FitOptions, 'gradients'>, Partial<Pick<ParallelTrainerOptions, 'protocol' | 'deferredSplit' | 'splitChooser'>> {
  threads?: number;
}

export async function fitParallel(model: Sequential, x: DataInput, y: DataInput, options: ParallelFitOptions = {}): Promise<History> {
  const { threads = 1, protocol, deferredSplit, splitChooser, ...fit } = options;
  if (threads === 1) return model.fit(x, y, fit);
  const trainer = await ParallelTrainer.create(model, {
    threads, batchSize: fit.batchSize ?? 32,
    ...(protocol === undefined ? {} : { protocol }),
    ...(deferredSplit === undefined ? {} : { deferredSplit }),
    ...(splitChooser === undefined ? {} : { splitChooser }),
  });
  try {
    return await model.fit(x, y, { ...fit, gradients: trainer });
  } finally {
    await trainer.close();
  }
}
