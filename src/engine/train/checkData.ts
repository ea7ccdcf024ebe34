/** Checks that inputs and labels fit the model, naming both shapes. */
import { DataShapeError } from '../errors.ts';
import { describeShape } from '../model/describe.ts';
import type { Dataset } from './data.ts';
import type { FitHost } from './fitHost.ts';

export function checkInputs(model: FitHost, x: Dataset, what = 'x'): void {
  const sample = x.shape.slice(1);
  const ok = sample.length === model.inputShape.length && sample.every((d, i) => d === model.inputShape[i]);
  if (!ok) {
    throw new DataShapeError(`${what}: the model expects samples of shape ${describeShape(model.inputShape)} (input [n,${model.inputShape.join(',')}]) but ${what} has shape ${describeShape(x.shape)}`);
  }
}

export function checkLabels(model: FitHost, x: Dataset, y: Dataset, what = 'y'): void {
  if (y.count !== x.count) throw new DataShapeError(`${what}: ${y.count} labels for ${x.count} samples (shapes ${describeShape(x.shape)} and ${describeShape(y.shape)})`);
  const head = model.lossHead;
  if (!head) return;
  const need = head.labelSize(model.outputSize, model.outputCols);
  if (y.size !== need) {
    throw new DataShapeError(
      `${what}: loss ${head.name} with model output ${describeShape(model.outputShape)} needs ${need} label value(s) per sample, but ${what} has shape ${describeShape(y.shape)}` +
      (head.name === 'sparseCategoricalCrossentropy' ? ' (integer class indices)' : head.name === 'categoricalCrossentropy' ? ' (one-hot rows)' : ''),
    );
  }
  if (head.name === 'sparseCategoricalCrossentropy') {
    const classes = model.outputCols;
    const d = y.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (!Number.isInteger(v)) throw new DataShapeError(`${what}[${i}]: class index ${v} is not an integer`);
      if (v < 0 || v >= classes) throw new DataShapeError(`${what}[${i}]: class index ${v} is out of range for an output of ${classes} classes (0..${classes - 1})`);
    }
  }
}
