/** The MLP the speed figures are about (784-128 relu-10 softmax, Adam 1e-3), trained by Trainyard for a fixed number of steps. */
import { Sequential, type MatmulKernelSet } from '../src/engine/index.ts';
import { randomData } from './random-data.ts';

export const MLP_SPEC = {
  inputShape: [784],
  layers: [{ type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
};

/** Random [n, 784] inputs and 10-class labels, the same for every framework measured. */
export function mlpData(n: number): { x: Float32Array; y: Float32Array } {
  return randomData(n, 784);
}

/** Training samples per second over `steps` steps at `batch`, after a short warm-up. */
export async function trainyardMlp(steps: number, batch: number, kernels?: MatmulKernelSet): Promise<number> {
  const n = steps * batch;
  const { x, y } = mlpData(n);
  const model = Sequential.fromSpec(MLP_SPEC, { seed: 0, ...(kernels ? { kernels } : {}) });
  model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  // Warm-up long enough for V8 to tier the wasm kernels up from Liftoff (a 200-step run
  // measured right after start-up read 35% low at batch 32).
  const warm = Math.min(100, steps) * batch;
  await model.fit({ data: x.subarray(0, warm * 784), shape: [warm, 784] }, { data: y.subarray(0, warm), shape: [warm] }, { batchSize: batch });
  const t = performance.now();
  await model.fit({ data: x, shape: [n, 784] }, { data: y, shape: [n] }, { batchSize: batch, epochs: 1 });
  return n / ((performance.now() - t) / 1000);
}
