/** Activations by name, accepting Keras's snake_case spellings. */
import type { Tensor } from '../tensor/tensor.ts';
import { elu, gelu, leakyRelu, linear, logSoftmax, relu, sigmoid, softmax, softplus, swish, tanh } from './activations.ts';

export type Activation = (x: Tensor) => Tensor;

export const activations = {
  linear,
  relu,
  leakyRelu: (x: Tensor) => leakyRelu(x),
  elu: (x: Tensor) => elu(x),
  gelu: (x: Tensor) => gelu(x),
  sigmoid,
  tanh,
  softmax: (x: Tensor) => softmax(x),
  logSoftmax: (x: Tensor) => logSoftmax(x),
  softplus,
  swish,
} satisfies Record<string, Activation>;

export type ActivationName = keyof typeof activations;

const aliases: Record<string, ActivationName> = {
  leaky_relu: 'leakyRelu',
  log_softmax: 'logSoftmax',
  silu: 'swish',
};

/** The activation called `name` (camelCase or Keras snake_case); throws listing valid names. */
export function resolveActivation(name: string): Activation {
  if (name === 'gelu_approximate') return (x) => gelu(x, true);
  if (Object.hasOwn(activations, name)) return activations[name as ActivationName];
  const alias = aliases[name];
  if (alias !== undefined) return activations[alias];
  throw new Error(
    `Unknown activation "${name}". Valid activations: ${[...Object.keys(activations), ...Object.keys(aliases), 'gelu_approximate'].join(', ')}`,
  );
}
