/**
 * The engine's typed errors. Each carries a stable `code` and plain data
 * fields, so the API can map it to an HTTP status once, at the edge
 * (a `SpecError` is a 422 naming the layer index and the field).
 */
export class EngineError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A model spec or training config that cannot be built. `path` is e.g. `layers[1].units`. */
export class SpecError extends EngineError {
  declare readonly code: 'invalid_spec';
  readonly path: string;
  readonly layerIndex?: number;
  constructor(path: string, message: string, layerIndex?: number) {
    // A message starting with "(" names the layer type: `layers[2] (dense): expects ...`.
    super('invalid_spec', message.startsWith('(') ? `${path} ${message}` : `${path}: ${message}`);
    this.path = path;
    if (layerIndex !== undefined) this.layerIndex = layerIndex;
  }
}

/** Training produced a NaN or infinite loss; the optimizer step for it was not applied. */
export class NonFiniteLossError extends EngineError {
  declare readonly code: 'non_finite_loss';
  readonly step: number;
  readonly epoch: number;
  readonly value: number;
  constructor(step: number, epoch: number, value: number) {
    super('non_finite_loss', `loss became ${value} at epoch ${epoch}, step ${step}; training stopped`);
    this.step = step;
    this.epoch = epoch;
    this.value = value;
  }
}

/** Weights or a checkpoint that do not fit the model (names, shapes, dtypes, metadata). */
export class WeightsMismatchError extends EngineError {
  declare readonly code: 'weights_mismatch';
  readonly tensor?: string;
  readonly expectedShape?: readonly number[];
  readonly actualShape?: readonly number[];
  constructor(message: string, tensor?: string, expectedShape?: readonly number[], actualShape?: readonly number[]) {
    super('weights_mismatch', message);
    if (tensor !== undefined) this.tensor = tensor;
    if (expectedShape !== undefined) this.expectedShape = expectedShape;
    if (actualShape !== undefined) this.actualShape = actualShape;
  }
}

/** Input data whose shape or length does not match the model or its labels. */
export class DataShapeError extends EngineError {
  declare readonly code: 'invalid_data';
  constructor(message: string) {
    super('invalid_data', message);
  }
}

/** A method called in the wrong state (e.g. fit before compile). */
export class ModelStateError extends EngineError {
  declare readonly code: 'invalid_state';
  constructor(message: string) {
    super('invalid_state', message);
  }
}

/** Training stopped because its AbortSignal fired. */
export class TrainingAbortedError extends EngineError {
  declare readonly code: 'aborted';
  readonly epoch: number;
  readonly step: number;
  constructor(epoch: number, step: number) {
    super('aborted', `training aborted at epoch ${epoch}, step ${step}`);
    this.epoch = epoch;
    this.step = step;
  }
}
