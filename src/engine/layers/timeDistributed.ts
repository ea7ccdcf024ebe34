/**
 * TimeDistributed(dense) (Keras TimeDistributed wrapping a Dense layer; PyTorch nn.Linear,
 * which already applies to the last axis of [batch, timesteps, features]): the same dense
 * layer on every timestep. Input [timesteps, features], output [timesteps, units]. It runs
 * the wrapped Dense on batch·timesteps rows (one matmul for the whole sequence), so its
 * parameters are the dense's: `layers.<i>.weight [units, features]`, `layers.<i>.bias`.
 * Only dense may be wrapped (recurrent layers take whole sequences already).
 */
import { canonicalName } from '../model/canonicalName.ts';
import { checkKnownFields, fail, isRecord, type FieldContext } from '../model/fields.ts';
import { describeShape, describeValue } from '../model/describe.ts';
import { BaseLayer } from './baseLayer.ts';
import { Dense, denseDef, type DenseConfig } from './dense.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv } from './layerEnv.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface TimeDistributedConfig extends LayerConfigBase {
  type: 'timeDistributed';
  layer: DenseConfig;
}

function parseInner(v: unknown, ctx: FieldContext, name: string): DenseConfig {
  const sub: FieldContext = { path: `${ctx.path}.layer`, layerIndex: ctx.layerIndex };
  if (!isRecord(v)) fail(ctx, 'layer', `is required: a dense layer config, got ${describeValue(v)}`);
  const raw: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) raw[k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] = x;
  if (typeof raw.type !== 'string' || canonicalName(raw.type, ['dense']) === undefined) {
    fail(sub, 'type', `must be dense (the only layer timeDistributed wraps), got ${describeValue(raw.type)}`);
  }
  checkKnownFields(raw, ['type', 'name', ...denseDef.fields], sub, 'a dense layer');
  return denseDef.parse(raw, sub, typeof raw.name === 'string' ? raw.name : `${name}_dense`);
}

export const timeDistributedDef: LayerDef<TimeDistributedConfig> = {
  type: 'timeDistributed',
  fields: ['layer'],
  parse: (raw, ctx, name) => ({ type: 'timeDistributed', name, layer: parseInner(raw.layer, ctx, name) }),
  outputShape(inputShape, cfg, ctx) {
    if (inputShape.length !== 2) {
      fail(ctx, undefined, `(timeDistributed): expects input of rank 2 [timesteps, features] but gets shape ${describeShape(inputShape)}`);
    }
    return [inputShape[0], cfg.layer.units];
  },
  paramDecls: (inputShape, cfg) => denseDef.paramDecls(inputShape.slice(1), cfg.layer),
  flops: (inputShape, cfg) => inputShape[0] * denseDef.flops(inputShape.slice(1), cfg.layer),
  create: (cfg, index, env) => new TimeDistributed(cfg, index, env),
};

export class TimeDistributed extends BaseLayer<TimeDistributedConfig> {
  private readonly inner: Dense;

  constructor(cfg: TimeDistributedConfig, index: number, env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(timeDistributedDef, cfg, index);
    this.inner = new Dense(cfg.layer, index, env);
  }

  protected override onAttach(): void {
    this.inner.build(this.inputShape.slice(1));
    this.inner.attach(this.params, this.buffers);
  }

  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array {
    return this.inner.forward(x, batch * this.inputShape[0], ctx);
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    return this.inner.backward(dy, batch * this.inputShape[0], needInputGrad);
  }
}
