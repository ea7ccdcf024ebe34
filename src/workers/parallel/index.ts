export { ParallelTrainer } from './ParallelTrainer.ts';
export type { ParallelTrainerOptions } from './ParallelTrainer.ts';
export { ParallelTrainingError } from './ParallelTrainingError.ts';
export { fitParallel } from './fitParallel.ts';
export type { ParallelFitOptions } from './fitParallel.ts';
export type { ParallelProtocol } from './messages.ts';
export { closeIdleHelpers, idleHelperCount } from './helperPool.ts';
export type { PhaseASplit } from './splitChooser.ts';
