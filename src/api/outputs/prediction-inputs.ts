/**
 * Prediction inputs as JSON: nested arrays of numbers shaped like one sample of
 * the model's input (`inputShape`) or a batch of them (`[n, ...inputShape]`).
 * The shape tells which. Checked here, before the engine sees them: a leaf that
 * is not a number is a 400, a ragged array or a shape that is neither a sample
 * nor a batch is a 422 naming both shapes.
 */
import { AppError } from '../../shared/errors.ts';

export const MAX_PREDICT_SAMPLES = 4096;

export interface PredictionInputs {
  /** True when the request held a batch (outputs are then a batch too). */
  batched: boolean;
  count: number;
  data: Float32Array;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** The shape of a nested array, following the first element at each level. */
function probeShape(inputs: unknown[]): number[] {
  const shape: number[] = [];
  let probe: unknown = inputs;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  return shape;
}

/** Copies the leaves into `out` in row-major order, checking that every level is as long as `shape` says. */
function flatten(value: unknown, shape: readonly number[], depth: number, path: string, out: Float32Array, at: { i: number }): void {
  if (depth === shape.length) {
    if (typeof value !== 'number') throw new AppError('validation_failed', `body/${path} must be a number, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
    out[at.i++] = value;
    return;
  }
  if (!Array.isArray(value)) throw new AppError('invalid_data', `body/${path} must be an array of ${shape[depth]} (inputs are ragged: shape ${fmt(shape)} from their first elements)`);
  if (value.length !== shape[depth]) {
    throw new AppError('invalid_data', `body/${path} has ${value.length} elements, expected ${shape[depth]} (inputs are ragged: shape ${fmt(shape)} from their first elements)`);
  }
  for (let k = 0; k < value.length; k++) flatten(value[k], shape, depth + 1, `${path}/${k}`, out, at);
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export function readPredictionInputs(inputs: unknown[], inputShape: readonly number[]): PredictionInputs {
  const shape = probeShape(inputs);
  let batched: boolean;
  if (same(shape, inputShape)) batched = false;
  else if (shape.length === inputShape.length + 1 && same(shape.slice(1), inputShape)) batched = true;
  else {
    throw new AppError(
      'invalid_data',
      `inputs have shape ${fmt(shape)}, but the model takes one sample of shape ${fmt(inputShape)} or a batch of shape ${fmt(['n' as unknown as number, ...inputShape])}`,
    );
  }
  const count = batched ? shape[0] : 1;
  if (count === 0) throw new AppError('invalid_data', 'inputs is an empty batch');
  if (count > MAX_PREDICT_SAMPLES) throw new AppError('limit_exceeded', `inputs hold ${count} samples; at most ${MAX_PREDICT_SAMPLES} per request`);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  flatten(inputs, shape, 0, 'inputs', data, { i: 0 });
  return { batched, count, data };
}
