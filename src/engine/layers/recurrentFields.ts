/**
 * The fields, shapes, parameters and FLOPs the recurrent layers (simpleRNN, lstm, gru)
 * share, with Keras names and defaults: units, activation 'tanh', recurrentActivation
 * 'sigmoid' (lstm, gru), useBias true, returnSequences false, goBackwards false,
 * kernelInitializer 'glorotUniform', recurrentInitializer 'orthogonal', biasInitializer
 * 'zeros', unitForgetBias true (lstm), resetAfter true (gru), kernel/recurrent/bias
 * regularizers. Input [timesteps, features].
 *
 * Parameters follow PyTorch's nn.RNN / nn.LSTM / nn.GRU (one layer): weight_ih_l0
 * [G·units, features], weight_hh_l0 [G·units, units], bias_ih_l0 and bias_hh_l0 [G·units]
 * (`suffix` '_reverse' for the backward direction of a bidirectional layer). Keras keeps
 * one bias for simpleRNN and lstm; here there are two, as PyTorch, and their SUM is
 * Keras's bias: bias_ih starts from biasInitializer (plus ones on the forget gate with
 * unitForgetBias) and bias_hh from zeros. A GRU with resetAfter has two biases in Keras
 * too; both start from biasInitializer.
 */
import { parseInitializer, type InitializerConfig } from '../init/initializers.ts';
import { parseRegularizer, type RegularizerConfig } from '../regularizers/regularizers.ts';
import { boolean, enumName, fail, positiveInt, type FieldContext } from '../model/fields.ts';
import { describeShape, describeValue } from '../model/describe.ts';
import { matchActivation } from './activations.ts';
import { RECURRENT_ACTIVATIONS, type RecurrentActivation } from './recurrentActivations.ts';
import type { LayerConfigBase } from './layerDef.ts';
import type { ParamDecl } from './types.ts';

export type RecurrentKind = 'simpleRNN' | 'lstm' | 'gru';

export interface RecurrentConfig extends LayerConfigBase {
  type: RecurrentKind;
  units: number;
  activation: RecurrentActivation;
  /** The gates' activation (lstm, gru only; default sigmoid). */
  recurrentActivation?: RecurrentActivation;
  useBias: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
  kernelInitializer: InitializerConfig;
  recurrentInitializer: InitializerConfig;
  biasInitializer: InitializerConfig;
  /** lstm only (Keras default true). */
  unitForgetBias?: boolean;
  /** gru only; always true (PyTorch's formulation). */
  resetAfter?: boolean;
  kernelRegularizer?: RegularizerConfig;
  recurrentRegularizer?: RegularizerConfig;
  biasRegularizer?: RegularizerConfig;
}

export const GATES: Readonly<Record<RecurrentKind, number>> = { simpleRNN: 1, lstm: 4, gru: 3 };

const COMMON_FIELDS = [
  'units', 'activation', 'useBias', 'returnSequences', 'goBackwards', 'kernelInitializer', 'recurrentInitializer',
  'biasInitializer', 'kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer',
] as const;

export const RECURRENT_FIELDS: Readonly<Record<RecurrentKind, readonly string[]>> = {
  simpleRNN: COMMON_FIELDS,
  lstm: [...COMMON_FIELDS, 'recurrentActivation', 'unitForgetBias'],
  gru: [...COMMON_FIELDS, 'recurrentActivation', 'resetAfter'],
};

function activationField(raw: Record<string, unknown>, field: string, ctx: FieldContext, fallback: RecurrentActivation): RecurrentActivation {
  const v = raw[field];
  if (v === undefined || v === null) return fallback;
  const match = (s: string): RecurrentActivation | undefined => {
    const a = matchActivation(s);
    return (RECURRENT_ACTIVATIONS as readonly string[]).includes(a ?? '') ? a as RecurrentActivation : undefined;
  };
  if (typeof v === 'string' && matchActivation(v) !== undefined && match(v) === undefined) {
    fail(ctx, field, `${describeValue(v)} is not supported in a recurrent layer (its derivative is not a function of its output); valid: ${RECURRENT_ACTIVATIONS.join(', ')}`);
  }
  return enumName(v, RECURRENT_ACTIVATIONS, ctx, field, 'activation', match);
}

function initField(raw: Record<string, unknown>, field: string, ctx: FieldContext, fallback: InitializerConfig): InitializerConfig {
  return raw[field] === undefined ? fallback : parseInitializer(raw[field], ctx, field);
}

export function parseRecurrent(kind: RecurrentKind, raw: Record<string, unknown>, ctx: FieldContext, name: string): RecurrentConfig {
  const cfg: RecurrentConfig = {
    type: kind,
    name,
    units: positiveInt(raw, 'units', ctx),
    activation: activationField(raw, 'activation', ctx, 'tanh'),
    useBias: boolean(raw, 'useBias', ctx, true),
    returnSequences: boolean(raw, 'returnSequences', ctx, false),
    goBackwards: boolean(raw, 'goBackwards', ctx, false),
    kernelInitializer: initField(raw, 'kernelInitializer', ctx, { type: 'glorotUniform' }),
    recurrentInitializer: initField(raw, 'recurrentInitializer', ctx, { type: 'orthogonal', gain: 1 }),
    biasInitializer: initField(raw, 'biasInitializer', ctx, { type: 'zeros' }),
  };
  // Only the kind's own fields, so the normalized config validates again as it is.
  if (kind !== 'simpleRNN') cfg.recurrentActivation = activationField(raw, 'recurrentActivation', ctx, 'sigmoid');
  if (kind === 'lstm') cfg.unitForgetBias = boolean(raw, 'unitForgetBias', ctx, true);
  if (kind === 'gru') {
    cfg.resetAfter = boolean(raw, 'resetAfter', ctx, true);
    if (!cfg.resetAfter) {
      fail(ctx, 'resetAfter', 'false (the Keras 1 GRU, reset gate applied before the recurrent matmul) is not supported; true is PyTorch\'s nn.GRU formulation');
    }
  }
  for (const f of ['kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer'] as const) {
    if (raw[f] !== undefined && raw[f] !== null) cfg[f] = parseRegularizer(raw[f], ctx, f);
  }
  return cfg;
}

export function recurrentOutputShape(inputShape: readonly number[], cfg: RecurrentConfig, ctx: FieldContext, width = cfg.units, what: string = cfg.type): number[] {
  if (inputShape.length !== 2) {
    fail(ctx, undefined, `(${what}): expects input of rank 2 [timesteps, features] but gets shape ${describeShape(inputShape)}; add a reshape layer before it (e.g. targetShape [timesteps, features])`);
  }
  return cfg.returnSequences ? [inputShape[0], width] : [width];
}

export function recurrentParamDecls(inputShape: readonly number[], cfg: RecurrentConfig, suffix = ''): ParamDecl[] {
  const gu = GATES[cfg.type] * cfg.units;
  const decls: ParamDecl[] = [
    { name: `weight_ih_l0${suffix}`, shape: [gu, inputShape[1]], initializer: cfg.kernelInitializer, regularizer: cfg.kernelRegularizer, decay: true },
    { name: `weight_hh_l0${suffix}`, shape: [gu, cfg.units], initializer: cfg.recurrentInitializer, regularizer: cfg.recurrentRegularizer, decay: true },
  ];
  if (cfg.useBias) {
    const u = cfg.units;
    const bih: InitializerConfig = cfg.type === 'lstm' && cfg.unitForgetBias === true
      ? { type: 'concat', parts: [
        { size: u, initializer: cfg.biasInitializer }, { size: u, initializer: { type: 'ones' } }, { size: 2 * u, initializer: cfg.biasInitializer },
      ] }
      : cfg.biasInitializer;
    const bhh: InitializerConfig = cfg.type === 'gru' ? cfg.biasInitializer : { type: 'zeros' };
    decls.push(
      { name: `bias_ih_l0${suffix}`, shape: [gu], initializer: bih, regularizer: cfg.biasRegularizer, decay: false },
      { name: `bias_hh_l0${suffix}`, shape: [gu], initializer: bhh, regularizer: cfg.biasRegularizer, decay: false },
    );
  }
  return decls;
}

/** Forward FLOPs per sample (one direction): both matmuls, biases and the gate arithmetic. */
export function recurrentFlops(inputShape: readonly number[], cfg: RecurrentConfig): number {
  const [t, f] = inputShape;
  const u = cfg.units;
  const gu = GATES[cfg.type] * u;
  const elementwise = cfg.type === 'lstm' ? 4 * 6 * u + 5 * u : cfg.type === 'gru' ? 3 * 6 * u + 6 * u : 6 * u;
  return t * (2 * f * gu + 2 * u * gu + (cfg.useBias ? 2 * gu : 0) + elementwise);
}
