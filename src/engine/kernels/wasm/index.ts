/**
 * WebAssembly SIMD kernels. `kernels` is a drop-in kernel set: the matmul family runs in
 * wasm (one instance per thread, created on first use), every other kernel is the plain
 * TypeScript one, so the same conformance suite runs on both sets.
 */
import { matmulRows, matmulRowsNT, matmulRowsTN, matmulRowsTNAcc, matmulRowsTT } from '../matmul.ts';
import type { MatmulKernel } from '../matmul.ts';
import { binaryRange, binaryRows, unaryRange, whereRows } from '../elementwise.ts';
import { argmaxAxisRange, maxAxisRange, sumAxisRange } from '../reduce.ts';
import { gatherRows, scatterRows } from '../copy.ts';
import { erf } from '../erf.ts';
import { createWasmKernels } from './wasmKernels.ts';
import { relaxedSimdSupported } from './loadGemm.ts';
import type { MatmulKernelSet } from '../../layers/layerEnv.ts';
import type { WasmMatmulKernels } from './wasmKernels.ts';
import { createWasmRecurrentKernels, type WasmRecurrentKernels } from './recurrentKernels.ts';
import type { RecurrentKernels } from '../recurrentGates.ts';

export { createWasmKernels } from './wasmKernels.ts';
export type { WasmKernelOptions, WasmMatmulKernels } from './wasmKernels.ts';
export { instantiateGemm, relaxedSimdSupported } from './loadGemm.ts';
export type { GemmInstance, GemmOptions } from './loadGemm.ts';
export { WasmArena } from './wasmArena.ts';
export type { WasmMemory } from './wasmApi.ts';

let shared: WasmMatmulKernels | undefined;
let relaxedWanted = true;

/**
 * Whether this thread's default kernels may use relaxed SIMD (default true: whenever the
 * runtime has it). Takes effect only before they are first built; each thread has its own.
 */
export function preferRelaxedSimd(use: boolean): void {
  relaxedWanted = use;
}

/**
 * This thread's default wasm kernels: relaxed SIMD (fused multiply-add GEMM) if the runtime
 * has it at the moment they are first built and `preferRelaxedSimd(false)` was not called;
 * else plain SIMD128. Node 20 has it only with
 * --experimental-wasm-relaxed-simd, which the service turns on (src/workers/relaxed-simd.ts).
 */
export function defaultWasmKernels(): WasmMatmulKernels {
  if (shared === undefined) shared = createWasmKernels({ relaxed: relaxedWanted && relaxedSimdSupported() });
  return shared;
}

const recurrentByInstance = new WeakMap<WasmMatmulKernels, WasmRecurrentKernels>();

/** The recurrent-gates kernels (recurrentKernels.ts) over `wk`'s memory, one per instance. */
export function wasmRecurrentKernels(wk: WasmMatmulKernels): WasmRecurrentKernels {
  let r = recurrentByInstance.get(wk);
  if (r === undefined) {
    r = createWasmRecurrentKernels(wk.arena);
    recurrentByInstance.set(wk, r);
  }
  return r;
}

const defaultRecurrent = (): WasmRecurrentKernels => wasmRecurrentKernels(defaultWasmKernels());
const lazyRecurrent: RecurrentKernels = {
  lstmForward: (...a) => defaultRecurrent().lstmForward(...a),
  lstmBackward: (...a) => defaultRecurrent().lstmBackward(...a),
  gruForward: (...a) => defaultRecurrent().gruForward(...a),
  gruBackward: (...a) => defaultRecurrent().gruBackward(...a),
  rnnForward: (...a) => defaultRecurrent().rnnForward(...a),
  rnnBackward: (...a) => defaultRecurrent().rnnBackward(...a),
  colSum: (...a) => defaultRecurrent().colSum(...a),
};

const lazy = (name: 'matmulRows' | 'matmulRowsTN' | 'matmulRowsTT' | 'matmulRowsTNAcc'): MatmulKernel =>
  (a, b, out, m, k, n, rowStart, rowEnd) => defaultWasmKernels()[name](a, b, out, m, k, n, rowStart, rowEnd);

/** The plain kernel set, for choosing between the two by name. */
export const plainKernels = {
  matmulRows, matmulRowsNT, matmulRowsTN, matmulRowsTT, matmulRowsTNAcc,
  unaryRange, binaryRange, binaryRows, whereRows,
  sumAxisRange, maxAxisRange, argmaxAxisRange, gatherRows, scatterRows, erf,
};

/**
 * A full kernel set over one wasm instance `wk` (e.g. `createWasmKernels({ memory })` on
 * another thread sharing this thread's memory): models built with it allocate in `wk`'s
 * arena and run in place on any block of that memory.
 */
export function wasmKernelSet(wk: WasmMatmulKernels): typeof kernels {
  return {
    ...plainKernels,
    matmulRows: wk.matmulRows,
    matmulRowsNT: wk.matmulRowsNT,
    matmulRowsTN: wk.matmulRowsTN,
    matmulRowsTT: wk.matmulRowsTT,
    matmulRowsTNAcc: wk.matmulRowsTNAcc,
    adam: wk.adam,
    addInto: wk.addInto,
    scaleShift: wk.scaleShift,
    biasReluForward: wk.biasReluForward,
    reluBackwardBias: wk.reluBackwardBias,
    im2colRange: wk.im2colRange,
    col2imRange: wk.col2imRange,
    maxPoolForward: wk.maxPoolForward,
    activationForward: wk.activationForward,
    activationBackward: wk.activationBackward,
    maxPoolBackward: wk.maxPoolBackward,
    allocate: (n) => wk.arena.alloc(n),
    release: (x) => wk.arena.free(x),
    recurrent: wasmRecurrentKernels(wk),
  };
}

/**
 * The same set with the matmul family, Adam and addInto in WebAssembly SIMD, allocating a
 * model's weights, gradients and optimizer slots in this thread's wasm memory (so the
 * kernels use them in place).
 */
export const kernels: typeof plainKernels & Required<Pick<MatmulKernelSet, 'adam' | 'addInto' | 'scaleShift' | 'allocate' | 'release' | 'recurrent' | 'biasReluForward' | 'reluBackwardBias' | 'im2colRange' | 'col2imRange' | 'maxPoolForward' | 'maxPoolBackward' | 'activationForward' | 'activationBackward'>> = {
  ...plainKernels,
  matmulRows: lazy('matmulRows'),
  matmulRowsNT: (a, b, out, m, k, n, rowStart, rowEnd, ldc = n) => defaultWasmKernels().matmulRowsNT(a, b, out, m, k, n, rowStart, rowEnd, ldc),
  matmulRowsTN: lazy('matmulRowsTN'),
  matmulRowsTT: lazy('matmulRowsTT'),
  matmulRowsTNAcc: lazy('matmulRowsTNAcc'),
  adam: (w, g, m, v, from, to, k) => defaultWasmKernels().adam(w, g, m, v, from, to, k),
  addInto: (dst, src, n) => defaultWasmKernels().addInto(dst, src, n),
  scaleShift: (x, y, n, scale, offset) => defaultWasmKernels().scaleShift(x, y, n, scale, offset),
  biasReluForward: (z, a, bias, rows, f) => defaultWasmKernels().biasReluForward(z, a, bias, rows, f),
  reluBackwardBias: (z, dy, dz, bg, rows, f) => defaultWasmKernels().reluBackwardBias(z, dy, dz, bg, rows, f),
  im2colRange: (x, g, col, s0, s1) => defaultWasmKernels().im2colRange(x, g, col, s0, s1),
  col2imRange: (col, g, dx, s0, s1) => defaultWasmKernels().col2imRange(col, g, dx, s0, s1),
  maxPoolForward: (x, y, arg, batch, g) => defaultWasmKernels().maxPoolForward(x, y, arg, batch, g),
  activationForward: (name, x, y, n) => defaultWasmKernels().activationForward(name, x, y, n),
  activationBackward: (name, x, dy, dx, n) => defaultWasmKernels().activationBackward(name, x, dy, dx, n),
  maxPoolBackward: (dy, arg, dx, n, len) => defaultWasmKernels().maxPoolBackward(dy, arg, dx, n, len),
  allocate: (n) => defaultWasmKernels().arena.alloc(n),
  release: (x) => defaultWasmKernels().arena.free(x),
  recurrent: lazyRecurrent,
};
