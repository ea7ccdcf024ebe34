/**
 * WebAssembly relaxed SIMD for this process. The engine's default kernels use its fused
 * multiply-add GEMM whenever the runtime has it (defaultWasmKernels); Node 20 has it only
 * behind a V8 flag, which this turns on (newer Node has it on already). It must run before
 * the first kernels are built: the service calls it first thing, and worker threads share
 * the process's flags.
 *
 * Measured: training 1.1-1.4x faster on Intel Xeon (Emerald Rapids), no change on AMD
 * Zen 4/5. The cost: a fused multiply-add rounds once where plain SIMD rounds twice, so
 * results differ in the last bits between CPUs with and without FMA (one machine stays
 * bit-reproducible). TRAINYARD_RELAXED_SIMD=0 keeps plain SIMD128: the same bits on every
 * x86 CPU.
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from '../engine/kernels/wasm/index.ts';

const FLAG = '--experimental-wasm-relaxed-simd';

/** Turns relaxed SIMD on unless `TRAINYARD_RELAXED_SIMD` is `0`; whether the engine will use it. */
export function enableRelaxedSimd(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.TRAINYARD_RELAXED_SIMD === '0') return false;
  // Only where it is missing: a runtime that no longer knows the flag would print an error.
  if (!relaxedSimdSupported()) setFlagsFromString(FLAG);
  return relaxedSimdSupported();
}
