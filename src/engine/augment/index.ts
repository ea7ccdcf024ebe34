export { parseAugmentConfig, AUGMENT_FIELDS } from './augmentConfig.ts';
export type { AugmentConfig, AugmentOptions } from './augmentConfig.ts';
export { Augmenter } from './augmenter.ts';
