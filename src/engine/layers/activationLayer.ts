/** Activation layer: applies a named activation (softmax over the last axis). No parameters. */
import { enumName } from '../model/fields.ts';
import { ACTIVATIONS, ACTIVATION_FLOPS, activationBackwardWith, activationForwardWith, matchActivation, type ActivationName, type ActivationKernels } from './activations.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv } from './layerEnv.ts';
import { BaseLayer, sizeOfShape } from './baseLayer.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface ActivationConfig extends LayerConfigBase {
  type: 'activation';
  activation: ActivationName;
}

export const activationDef: LayerDef<ActivationConfig> = {
  type: 'activation',
  fields: ['activation'],
  parse: (raw, ctx, name) => ({
    type: 'activation', name,
    activation: raw.activation === undefined
      ? enumName(undefined, ACTIVATIONS, ctx, 'activation', 'activation', matchActivation)
      : enumName(raw.activation, ACTIVATIONS, ctx, 'activation', 'activation', matchActivation),
  }),
  outputShape: (inputShape) => [...inputShape],
  paramDecls: () => [],
  flops: (inputShape, cfg) => ACTIVATION_FLOPS[cfg.activation] * sizeOfShape(inputShape),
  create: (cfg, index, env) => new ActivationLayer(cfg, index, env),
};

export class ActivationLayer extends BaseLayer<ActivationConfig> {
  readonly rowwise = true;
  readonly outputActivation: ActivationName;
  private readonly y = this.scratch();
  private readonly dx = this.scratch();
  private x: Float32Array = new Float32Array(0);
  private yView: Float32Array = new Float32Array(0);

  private readonly kernels: ActivationKernels;

  constructor(cfg: ActivationConfig, index: number, env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(activationDef, cfg, index);
    this.outputActivation = cfg.activation;
    this.kernels = env.kernels;
  }

  get logits(): Float32Array {
    return this.x;
  }

  private get cols(): number {
    return this.inputShape.length === 0 ? 1 : this.inputShape[this.inputShape.length - 1];
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    this.x = x;
    if (this.outputActivation === 'linear') {
      this.yView = x;
      return x;
    }
    const n = batch * this.inSize;
    const y = this.y.get(n);
    activationForwardWith(this.kernels, this.outputActivation, x, y, n, this.cols);
    this.yView = y;
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean, fromLogits = false): Float32Array | undefined {
    if (!needInputGrad) return undefined;
    if (fromLogits || this.outputActivation === 'linear') return dy;
    const n = batch * this.inSize;
    const dx = this.dx.get(n);
    activationBackwardWith(this.kernels, this.outputActivation, this.x, this.yView, dy, dx, n, this.cols);
    return dx;
  }
}
