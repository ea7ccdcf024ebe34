/** predict(): the model's outputs for every sample, in inference mode, batch by batch. */
import { checkInputs } from './checkData.ts';
import { gather, type Dataset } from './data.ts';
import type { FitHost } from './fitHost.ts';

export function predictDataset(model: FitHost, x: Dataset, batchSize: number): Float32Array {
  checkInputs(model, x);
  const outSize = model.outputSize;
  const result = new Float32Array(x.count * outSize);
  const bs = Math.max(1, Math.min(batchSize, x.count));
  const xb = new Float32Array(bs * x.size);
  for (let start = 0; start < x.count; start += bs) {
    const n = Math.min(bs, x.count - start);
    gather(x, null, start, n, xb);
    const out = model.forward(xb, n, false);
    result.set(out.subarray(0, n * outSize), start * outSize);
  }
  return result;
}
