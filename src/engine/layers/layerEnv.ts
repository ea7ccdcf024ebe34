/**
 * What a model hands its layers at creation: the matmul kernels to run.
 * Any implementation with the plain kernels' signatures and semantics works
 * (e.g. the WebAssembly SIMD family from kernels/wasm), so a faster kernel
 * set is a constructor option, not a code change.
 */
import type { ScaleShiftKernel } from '../kernels/scaleShift.ts';
import { matmulRows, matmulRowsNT, matmulRowsTN, type MatmulKernel, type StridedMatmulKernel } from '../kernels/matmul.ts';
import type { AdamKernel } from '../optim/adamUpdate.ts';
import type { RecurrentKernels } from '../kernels/recurrentGates.ts';
import type { BiasReluKernel, ReluBackwardBiasKernel } from '../kernels/reluEpilogue.ts';
import type { col2imRange, im2colRange } from '../kernels/im2col.ts';
import type { MaxPoolBackwardKernel, MaxPoolForwardKernel } from '../kernels/maxPool.ts';
import type { ActivationKernels } from './activations.ts';

export interface MatmulKernelSet extends ActivationKernels {
  /** out[m,n] = a[m,k] · b[k,n] */
  readonly matmulRows: MatmulKernel;
  /** out[m,n] = a[m,k] · b[n,k]ᵀ (out's rows `ldc` floats apart, default n) */
  readonly matmulRowsNT: StridedMatmulKernel;
  /** out[m,n] = a[k,m]ᵀ · b[k,n] */
  readonly matmulRowsTN: MatmulKernel;
  /** out[m,n] += a[k,m]ᵀ · b[k,n] (default: matmulRowsTN into a scratch, then added). */
  readonly matmulRowsTNAcc?: MatmulKernel;
  /** dst[i] += src[i] for i < n (default: a plain loop). */
  readonly addInto?: (dst: Float32Array, src: Float32Array, n: number) => void;
  /** y = x * scale + offset in float32 (kernels/scaleShift.ts), for rescaling. */
  readonly scaleShift?: ScaleShiftKernel;
  /** Conv bias + relu epilogues (default: ../kernels/reluEpilogue.ts, the references they must equal). */
  readonly biasReluForward?: BiasReluKernel;
  readonly reluBackwardBias?: ReluBackwardBiasKernel;
  /** im2col / col2im (default: ../kernels/im2col.ts, the references they must equal). */
  readonly im2colRange?: typeof im2colRange;
  readonly col2imRange?: typeof col2imRange;
  /** Max pooling (default: ../kernels/maxPool.ts, the references they must equal). */
  readonly maxPoolForward?: MaxPoolForwardKernel;
  readonly maxPoolBackward?: MaxPoolBackwardKernel;
  /** The optimizer's Adam loop (default: `adamRange`, the reference it must equal bit for bit). */
  readonly adam?: AdamKernel;
  /**
   * Where a model allocates weights, gradients, buffers and optimizer slots so the kernels
   * use them in place (default: SharedArrayBuffers), and how it gives them back.
   */
  readonly allocate?: (n: number) => Float32Array;
  readonly release?: (x: Float32Array) => void;
  /**
   * The recurrent layers' fused per-timestep gate kernels (default: `plainRecurrentKernels`,
   * the reference they must equal bit for bit).
   */
  readonly recurrent?: RecurrentKernels;
}

export interface LayerEnv {
  readonly kernels: MatmulKernelSet;
  /** Allocates long-lived layer scratch where the kernels use it in place (owned by the model). */
  readonly allocate?: (n: number) => Float32Array;
  readonly release?: (x: Float32Array) => void;
}

export const PLAIN_KERNELS: MatmulKernelSet = { matmulRows, matmulRowsNT, matmulRowsTN };

export const DEFAULT_LAYER_ENV: LayerEnv = { kernels: PLAIN_KERNELS };
