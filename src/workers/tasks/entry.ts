/** The Piscina task file: each export is a task, run by name (`pool.run(input, { name })`). */
import { applyRelaxedSimdSetting } from '../relaxed-simd.ts';

// Before any task builds kernels: TRAINYARD_RELAXED_SIMD=0 holds in this thread too (the
// engine's preference is per thread; the V8 flag, set or not by the CLI, is per process).
applyRelaxedSimdSetting();

export { train } from './train.ts';
export { gan } from './gan.ts';
