export { INITIALIZER_TYPES, TRUNCATED_NORMAL_STDDEV, parseInitializer, initialize, fans } from './initializers.ts';
export type { InitializerConfig, InitializerType } from './initializers.ts';
