/** The MLP the speed figures are about (784-128 relu-10 softmax; the benches train it with Adam 1e-3). */
import { randomData } from './random-data.ts';

export const MLP_SPEC = {
  inputShape: [784],
  layers: [{ type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
};

/** Random [n, 784] inputs and 10-class labels, the same for every framework measured. */
export function mlpData(n: number): { x: Float32Array; y: Float32Array } {
  return randomData(n, 784);
}
