/** The networks the speed and memory figures are about (issue 6's table), shared by the benches. */
import type { MatmulKernelSet } from '../src/engine/index.ts';
import { trainyardTurns } from './turns.ts';
export { MLP_SPEC } from './trainyard-mlp.ts';

/** conv16(same)-pool-conv32(same)-pool-dense10 on 28x28x1 (examples/fashion-mnist-cnn.ts). */
export const CNN_SPEC = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPooling2d' },
    { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPooling2d' },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

/** LSTM 64 over 28 rows of 28 pixels, dense 10 (examples/fashion-mnist-lstm.ts). */
export const LSTM_SPEC = {
  inputShape: [28, 28],
  layers: [
    { type: 'lstm', units: 64 },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

/** Trainyard's training samples per second on random data (10-class labels) for `steps` steps at `batch`, after a short warm-up. */
export async function trainyardRate(spec: { inputShape: number[] }, steps: number, batch: number, kernels?: MatmulKernelSet): Promise<number> {
  const turns = await trainyardTurns(spec, steps, batch, kernels, Math.min(10, steps));
  try {
    return await turns.turn();
  } finally {
    await turns.close();
  }
}
