export {
  linear, relu, leakyRelu, elu, gelu, sigmoid, tanh, softmax, logSoftmax, softplus, swish,
} from './activations.ts';
export { activations, resolveActivation } from './activationRegistry.ts';
export type { Activation, ActivationName } from './activationRegistry.ts';
