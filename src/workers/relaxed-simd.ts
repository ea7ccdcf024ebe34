/**
 * WebAssembly relaxed SIMD for the service's threads. The engine's default kernels use its
 * fused multiply-add GEMM whenever the runtime has it (defaultWasmKernels); Node 20 has it
 * only behind a V8 flag, which this turns on (newer Node has it on already). V8 flags are per
 * process, but the engine's preference is per thread: the CLI calls `enableRelaxedSimd` first
 * thing, and every training pool thread applies the setting (`applyRelaxedSimdSetting`,
 * tasks/entry.ts) before anything builds kernels.
 * ParallelTrainer's helpers take the main thread's choice.
 *
 * Measured: training 1.1-1.4x faster on Intel Xeon (Emerald Rapids), no change on AMD
 * Zen 4/5. The cost: a fused multiply-add rounds once where plain SIMD rounds twice, so
 * results differ in the last bits between CPUs with and without FMA (one machine stays
 * bit-reproducible). TRAINYARD_RELAXED_SIMD=0 keeps plain SIMD128 even where the runtime
 * has relaxed SIMD: the same bits on every x86 CPU.
 */
import { setFlagsFromString } from 'node:v8';
import { preferRelaxedSimd, relaxedSimdSupported } from '../engine/index.ts';
import { relaxedSimdSetting } from '../shared/config.ts';

const FLAG = '--experimental-wasm-relaxed-simd';

/** This thread's default kernels follow `TRAINYARD_RELAXED_SIMD` (config.ts); the V8 flag is left alone. Returns the setting. */
export function applyRelaxedSimdSetting(env: NodeJS.ProcessEnv = process.env): boolean {
  const wanted = relaxedSimdSetting(env);
  preferRelaxedSimd(wanted);
  return wanted;
}

/** Applies the setting to this thread and, when on, turns on the process's V8 flag; whether this thread's default kernels will use relaxed SIMD. */
export function enableRelaxedSimd(wanted: boolean = relaxedSimdSetting()): boolean {
  preferRelaxedSimd(wanted);
  if (!wanted) return false;
  // Only where it is missing: a runtime that no longer knows the flag would print an error.
  if (!relaxedSimdSupported()) setFlagsFromString(FLAG);
  return relaxedSimdSupported();
}
