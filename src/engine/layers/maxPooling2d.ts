/** MaxPooling2D (Keras): poolSize 2, strides = poolSize, padding 'valid' | 'same'; see pool2d.ts. */
import { Pool2d, pool2dDef, type Pool2dConfig } from './pool2d.ts';
import type { LayerDef } from './layerDef.ts';

export type MaxPooling2dConfig = Pool2dConfig & { type: 'maxPooling2d' };

export const maxPooling2dDef: LayerDef<MaxPooling2dConfig> = pool2dDef('maxPooling2d', (cfg, index, env) => new Pool2d(maxPooling2dDef as unknown as LayerDef<Pool2dConfig>, cfg, index, env));
