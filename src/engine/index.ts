/**
 * Trainyard's engine, the public entry: `import { Sequential } from 'trainyard/engine'`.
 * Re-exports every engine folder's public API (each folder's index.ts).
 */
export * from './errors.ts';
export { Rng } from './rng.ts';
export type { RngState } from './rng.ts';
export * from './tensor/index.ts';
export * from './kernels/index.ts';
export * from './ops/index.ts';
export * from './losses/index.ts';
export * from './metrics/index.ts';
export * from './optim/index.ts';
export * from './io/index.ts';
export * from './data/index.ts';
export * from './layers/index.ts';
export * from './model/index.ts';
export * from './train/index.ts';
export * from './augment/index.ts';
export * from './init/index.ts';
export * from './regularizers/index.ts';
export * from './gan/index.ts';
// losses/ and metrics/ both export these names: the loss functions keep them,
// the metric functions get a `Metric` suffix.
export { meanSquaredError, meanAbsoluteError } from './losses/index.ts';
export { meanSquaredError as meanSquaredErrorMetric, meanAbsoluteError as meanAbsoluteErrorMetric } from './metrics/index.ts';
// kernels/wasm (WebAssembly SIMD matmul): a drop-in kernel set, e.g.
// `Sequential.fromSpec(spec, { kernels: wasmKernels })`.
export {
  createWasmKernels, defaultWasmKernels, plainKernels, kernels as wasmKernels, wasmKernelSet, instantiateGemm, relaxedSimdSupported, preferRelaxedSimd, WasmArena,
} from './kernels/wasm/index.ts';
export type { WasmKernelOptions, WasmMatmulKernels, GemmInstance, GemmOptions, WasmMemory } from './kernels/wasm/index.ts';
