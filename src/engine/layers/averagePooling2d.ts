/** AveragePooling2D (Keras): poolSize 2, strides = poolSize, padding 'valid' | 'same' (padding excluded from the count); see pool2d.ts. */
import { Pool2d, pool2dDef, type Pool2dConfig } from './pool2d.ts';
import type { LayerDef } from './layerDef.ts';

export type AveragePooling2dConfig = Pool2dConfig & { type: 'averagePooling2d' };

export const averagePooling2dDef: LayerDef<AveragePooling2dConfig> = pool2dDef('averagePooling2d', (cfg, index, env) => new Pool2d(averagePooling2dDef as unknown as LayerDef<Pool2dConfig>, cfg, index, env));
