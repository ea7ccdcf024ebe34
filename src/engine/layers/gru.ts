/**
 * GRU (Keras GRU with resetAfter: true; PyTorch nn.GRU(features, units, batch_first=True)), gates r, z, n.
 * Fields, defaults and parameter layout: recurrentFields.ts; the steps: gruCell.ts.
 */
import type { LayerDef } from './layerDef.ts';
import { RecurrentLayer } from './recurrentLayer.ts';
import { RECURRENT_FIELDS, parseRecurrent, recurrentFlops, recurrentOutputShape, recurrentParamDecls, type RecurrentConfig } from './recurrentFields.ts';

export interface GruConfig extends RecurrentConfig {
  type: 'gru';
}

export const gruDef: LayerDef<GruConfig> = {
  type: 'gru',
  fields: RECURRENT_FIELDS.gru,
  parse: (raw, ctx, name) => parseRecurrent('gru', raw, ctx, name) as GruConfig,
  outputShape: (inputShape, cfg, ctx) => recurrentOutputShape(inputShape, cfg, ctx),
  paramDecls: (inputShape, cfg) => recurrentParamDecls(inputShape, cfg),
  flops: (inputShape, cfg) => recurrentFlops(inputShape, cfg),
  create: (cfg, index, env) => new RecurrentLayer(gruDef as unknown as LayerDef<RecurrentConfig>, cfg, index, env),
};
