/**
 * What a model hands its layers at creation: the matmul kernels to run.
 * Any implementation with the plain kernels' signatures and semantics works
 * (e.g. the WebAssembly SIMD family from kernels/wasm), so a faster kernel
 * set is a constructor option, not a code change.
 */
import { matmulRows, matmulRowsNT, matmulRowsTN, type MatmulKernel } from '../kernels/matmul.ts';

export interface MatmulKernelSet {
  /** out[m,n] = a[m,k] · b[k,n] */
  readonly matmulRows: MatmulKernel;
  /** out[m,n] = a[m,k] · b[n,k]ᵀ */
  readonly matmulRowsNT: MatmulKernel;
  /** out[m,n] = a[k,m]ᵀ · b[k,n] */
  readonly matmulRowsTN: MatmulKernel;
}

export interface LayerEnv {
  readonly kernels: MatmulKernelSet;
}

export const PLAIN_KERNELS: MatmulKernelSet = { matmulRows, matmulRowsNT, matmulRowsTN };

export const DEFAULT_LAYER_ENV: LayerEnv = { kernels: PLAIN_KERNELS };
