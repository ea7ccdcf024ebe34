/**
 * A learning-rate schedule maps the optimizer's step counter (0 for the first
 * update, as Keras' `optimizer.iterations`) to a learning rate. Schedules are
 * pure functions of the step, so they need no state in a checkpoint.
 */
export interface LearningRateSchedule {
  readonly type: string;
  (step: number): number;
}
