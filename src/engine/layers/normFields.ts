/** Spec fields shared by batchNormalization and layerNormalization (Keras names and defaults). */
import { parseInitializer, type InitializerConfig } from '../init/initializers.ts';
import { describeShape, describeValue } from '../model/describe.ts';
import { boolean, fail, finiteNumber, type FieldContext } from '../model/fields.ts';
import type { ParamDecl } from './types.ts';

export interface NormCommonConfig {
  epsilon: number;
  center: boolean;
  scale: boolean;
  betaInitializer: InitializerConfig;
  gammaInitializer: InitializerConfig;
}

export const NORM_COMMON_FIELDS = ['axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer'] as const;

export function parseNormCommon(raw: Record<string, unknown>, ctx: FieldContext): NormCommonConfig {
  const axis = raw.axis;
  if (axis !== undefined && axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) {
    fail(ctx, 'axis', `only -1 (the last, channels axis) is supported, got ${describeValue(axis)}`);
  }
  return {
    epsilon: finiteNumber(raw, 'epsilon', ctx, 1e-3, { min: 0, minExclusive: true }),
    center: boolean(raw, 'center', ctx, true),
    scale: boolean(raw, 'scale', ctx, true),
    betaInitializer: raw.betaInitializer === undefined ? { type: 'zeros' } : parseInitializer(raw.betaInitializer, ctx, 'betaInitializer'),
    gammaInitializer: raw.gammaInitializer === undefined ? { type: 'ones' } : parseInitializer(raw.gammaInitializer, ctx, 'gammaInitializer'),
  };
}

/** `weight` (gamma, when scale) and `bias` (beta, when center), PyTorch's names, shape [channels]. */
export function normParamDecls(channels: number, cfg: NormCommonConfig): ParamDecl[] {
  const decls: ParamDecl[] = [];
  if (cfg.scale) decls.push({ name: 'weight', shape: [channels], initializer: cfg.gammaInitializer, decay: false });
  if (cfg.center) decls.push({ name: 'bias', shape: [channels], initializer: cfg.betaInitializer, decay: false });
  return decls;
}

export function requireChannels(inputShape: readonly number[], type: string, ctx: FieldContext): number {
  if (inputShape.length === 0) fail(ctx, undefined, `(${type}): needs an input with a channels axis, got shape ${describeShape(inputShape)}`);
  return inputShape[inputShape.length - 1];
}
