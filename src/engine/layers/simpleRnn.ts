/**
 * Simple RNN (Keras SimpleRNN; PyTorch nn.RNN(features, units, batch_first=True)): h' = activation(W_ih x + b_ih + W_hh h + b_hh).
 * Fields, defaults and parameter layout: recurrentFields.ts; the steps: rnnCell.ts.
 */
import type { LayerDef } from './layerDef.ts';
import { RecurrentLayer } from './recurrentLayer.ts';
import { RECURRENT_FIELDS, parseRecurrent, recurrentFlops, recurrentOutputShape, recurrentParamDecls, type RecurrentConfig } from './recurrentFields.ts';

export interface SimpleRnnConfig extends RecurrentConfig {
  type: 'simpleRNN';
}

export const simpleRnnDef: LayerDef<SimpleRnnConfig> = {
  type: 'simpleRNN',
  fields: RECURRENT_FIELDS.simpleRNN,
  parse: (raw, ctx, name) => parseRecurrent('simpleRNN', raw, ctx, name) as SimpleRnnConfig,
  outputShape: (inputShape, cfg, ctx) => recurrentOutputShape(inputShape, cfg, ctx),
  paramDecls: (inputShape, cfg) => recurrentParamDecls(inputShape, cfg),
  flops: (inputShape, cfg) => recurrentFlops(inputShape, cfg),
  create: (cfg, index, env) => new RecurrentLayer(simpleRnnDef as unknown as LayerDef<RecurrentConfig>, cfg, index, env),
};
