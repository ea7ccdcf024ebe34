/** Flatten: [..dims] → [prod(dims)] per sample. Row-major storage makes it free (same buffer). */
import { BaseLayer, sizeOfShape } from './baseLayer.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface FlattenConfig extends LayerConfigBase {
  type: 'flatten';
}

export const flattenDef: LayerDef<FlattenConfig> = {
  type: 'flatten',
  fields: [],
  parse: (_raw, _ctx, name) => ({ type: 'flatten', name }),
  outputShape: (inputShape) => [sizeOfShape(inputShape)],
  paramDecls: () => [],
  flops: () => 0,
  create: (cfg, index) => new Flatten(cfg, index),
};

export class Flatten extends BaseLayer<FlattenConfig> {
  readonly rowwise = true;
  constructor(cfg: FlattenConfig, index: number) {
    super(flattenDef, cfg, index);
  }
  forward(x: Float32Array, _batch: number, _ctx: ForwardContext): Float32Array {
    return x;
  }
  backward(dy: Float32Array, _batch: number, needInputGrad: boolean): Float32Array | undefined {
    return needInputGrad ? dy : undefined;
  }
}
