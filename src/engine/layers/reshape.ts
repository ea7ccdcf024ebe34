/** Reshape to `targetShape` per sample (one dimension may be -1, inferred). Free: same buffer. */
import { fail, shapeField } from '../model/fields.ts';
import { describeShape } from '../model/describe.ts';
import { BaseLayer, sizeOfShape } from './baseLayer.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface ReshapeConfig extends LayerConfigBase {
  type: 'reshape';
  targetShape: number[];
}

export const reshapeDef: LayerDef<ReshapeConfig> = {
  type: 'reshape',
  fields: ['targetShape'],
  parse: (raw, ctx, name) => ({ type: 'reshape', name, targetShape: [...shapeField(raw, 'targetShape', ctx, true)] }),
  outputShape(inputShape, cfg, ctx) {
    const n = sizeOfShape(inputShape);
    const known = cfg.targetShape.filter((d) => d !== -1);
    const k = sizeOfShape(known);
    if (known.length < cfg.targetShape.length) {
      if (n % k !== 0) {
        fail(ctx, undefined, `(reshape): cannot reshape input of shape ${describeShape(inputShape)} (${n} values) to ${describeShape(cfg.targetShape)}: ${n} is not divisible by ${k}`);
      }
      return cfg.targetShape.map((d) => (d === -1 ? n / k : d));
    }
    if (k !== n) {
      fail(ctx, undefined, `(reshape): cannot reshape input of shape ${describeShape(inputShape)} (${n} values) to ${describeShape(cfg.targetShape)} (${k} values)`);
    }
    return [...cfg.targetShape];
  },
  paramDecls: () => [],
  flops: () => 0,
  create: (cfg, index) => new Reshape(cfg, index),
};

export class Reshape extends BaseLayer<ReshapeConfig> {
  readonly rowwise = true;
  constructor(cfg: ReshapeConfig, index: number) {
    super(reshapeDef, cfg, index);
  }
  forward(x: Float32Array, _batch: number, _ctx: ForwardContext): Float32Array {
    return x;
  }
  backward(dy: Float32Array, _batch: number, needInputGrad: boolean): Float32Array | undefined {
    return needInputGrad ? dy : undefined;
  }
}
