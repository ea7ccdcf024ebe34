/** Losses by name: camelCase names plus the Keras snake_case and short aliases. */
import { binaryCrossentropy } from './binaryCrossentropy.ts';
import { categoricalCrossentropy } from './categoricalCrossentropy.ts';
import type { LossFn } from './lossTypes.ts';
import { meanAbsoluteError } from './meanAbsoluteError.ts';
import { meanSquaredError } from './meanSquaredError.ts';
import { sparseCategoricalCrossentropy } from './sparseCategoricalCrossentropy.ts';

export const losses = {
  meanSquaredError,
  meanAbsoluteError,
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
} satisfies Record<string, LossFn>;

export type LossName = keyof typeof losses;

export const lossAliases: Readonly<Record<string, LossName>> = {
  mse: 'meanSquaredError',
  MSE: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  MAE: 'meanAbsoluteError',
  mean_absolute_error: 'meanAbsoluteError',
  binary_crossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
};

/** The canonical camelCase name of a loss, or an Error naming it and listing valid names. */
export function lossName(name: string): LossName {
  if (Object.hasOwn(losses, name)) return name as LossName;
  if (Object.hasOwn(lossAliases, name)) return lossAliases[name];
  throw new Error(
    `Unknown loss "${name}". Valid losses: ${[...Object.keys(losses), ...Object.keys(lossAliases)].join(', ')}`,
  );
}

export function resolveLoss(name: string): LossFn {
  return losses[lossName(name)];
}
