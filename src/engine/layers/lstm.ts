/**
 * LSTM (Keras LSTM; PyTorch nn.LSTM(features, units, batch_first=True)), gates i, f, g, o.
 * Fields, defaults and parameter layout: recurrentFields.ts; the steps: lstmCell.ts.
 */
import type { LayerDef } from './layerDef.ts';
import { RecurrentLayer } from './recurrentLayer.ts';
import { RECURRENT_FIELDS, parseRecurrent, recurrentFlops, recurrentOutputShape, recurrentParamDecls, type RecurrentConfig } from './recurrentFields.ts';

export interface LstmConfig extends RecurrentConfig {
  type: 'lstm';
}

export const lstmDef: LayerDef<LstmConfig> = {
  type: 'lstm',
  fields: RECURRENT_FIELDS.lstm,
  parse: (raw, ctx, name) => parseRecurrent('lstm', raw, ctx, name) as LstmConfig,
  outputShape: (inputShape, cfg, ctx) => recurrentOutputShape(inputShape, cfg, ctx),
  paramDecls: (inputShape, cfg) => recurrentParamDecls(inputShape, cfg),
  flops: (inputShape, cfg) => recurrentFlops(inputShape, cfg),
  create: (cfg, index, env) => new RecurrentLayer(lstmDef as unknown as LayerDef<RecurrentConfig>, cfg, index, env),
};
