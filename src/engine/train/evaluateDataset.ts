/** evaluate(): loss (with regularisation, as Keras) and the compiled metrics over a dataset, in inference mode. */
import type { Logs } from './callbacks.ts';
import { checkInputs, checkLabels } from './checkData.ts';
import { gather, type Dataset } from './data.ts';
import type { FitHost } from './fitHost.ts';

export function evaluateDataset(model: FitHost, x: Dataset, y: Dataset, batchSize: number, metricNames?: readonly string[]): Logs {
  checkInputs(model, x);
  checkLabels(model, x, y);
  const head = model.lossHead;
  if (!head) throw new Error('evaluate: model is not compiled');
  const metrics = model.createMetrics(metricNames);
  const bs = Math.max(1, Math.min(batchSize, x.count));
  const xb = new Float32Array(bs * x.size);
  const yb = new Float32Array(bs * y.size);
  let sum = 0;
  for (let start = 0; start < x.count; start += bs) {
    const n = Math.min(bs, x.count - start);
    gather(x, null, start, n, xb);
    gather(y, null, start, n, yb);
    const out = model.forward(xb, n, false);
    const last = model.layers[model.layers.length - 1];
    const input = head.fromLogits ? (last.logits as Float32Array) : out;
    sum += head.compute(input, yb, n, model.outputSize, model.outputCols, null, null);
    for (const m of metrics) m.update(yb.subarray(0, n * y.size), out.subarray(0, n * model.outputSize), n);
  }
  const logs: Logs = { loss: (x.count === 0 ? 0 : sum / x.count) + model.regularizationPenalty(false) };
  for (const m of metrics) logs[m.name] = m.result();
  return logs;
}
