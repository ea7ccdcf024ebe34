/** A data-parallel training failure: bad options, an unsupported model, or an error in a helper thread. */
export class ParallelTrainingError extends Error {
  readonly code = 'parallel_training';

  constructor(message: string) {
    super(message);
    this.name = 'ParallelTrainingError';
  }
}
