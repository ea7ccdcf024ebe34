/**
 * The matmul kernel family (same signatures and semantics as ../matmul.ts) running the
 * WebAssembly SIMD GEMM. Each call computes rows [rowStart, rowEnd) of out and writes
 * nothing else, so a thread may call it on its slice.
 *
 * Operands that already live in this instance's wasm memory (allocated with `arena.alloc`)
 * are used in place; others are copied in (only the rows of A the range needs, all of B)
 * and the output rows copied back out. See README.md for what the copies cost.
 */
import { scaleShiftRange, type ScaleShiftKernel } from '../scaleShift.ts';
import type { MatmulKernel, StridedMatmulKernel } from '../matmul.ts';
import { instantiateGemm } from './loadGemm.ts';
import type { GemmInstance, GemmOptions } from './loadGemm.ts';
import { WasmArena } from './wasmArena.ts';
import { instantiateOps } from './loadOps.ts';
import { adamRange, type AdamKernel } from '../../optim/adamUpdate.ts';
import { biasReluForward, reluBackwardBias, type BiasReluKernel, type ReluBackwardBiasKernel } from '../reluEpilogue.ts';
import { col2imRange, im2colRange, type ConvGeometry } from '../im2col.ts';
import { maxPoolBackward, maxPoolForward, type MaxPoolBackwardKernel, type MaxPoolForwardKernel } from '../maxPool.ts';
import { LEAKY_RELU_ALPHA, type ActivationKernels } from '../../layers/activations.ts';

export interface WasmKernelOptions extends GemmOptions {
  /** Cache blocking: inner-dimension block (KC), rows of A per packed block (MC), columns of B per packed block (NC). */
  kc?: number;
  mc?: number;
  nc?: number;
}

export interface WasmMatmulKernels {
  readonly matmulRows: MatmulKernel;
  readonly matmulRowsNT: StridedMatmulKernel;
  readonly matmulRowsTN: MatmulKernel;
  readonly matmulRowsTT: MatmulKernel;
  /** out += aᵀ·b (the accumulating TN product, for gradients summed in place). */
  readonly matmulRowsTNAcc: MatmulKernel;
  /** Adam over views in this memory in WebAssembly SIMD (others: the plain `adamRange`); same results. */
  readonly adam: AdamKernel;
  readonly scaleShift: ScaleShiftKernel;
  /** dst[i] += src[i] for i < n (in wasm when both live in this memory). */
  readonly addInto: (dst: Float32Array, src: Float32Array, n: number) => void;
  /** The conv epilogues of ../reluEpilogue.ts in wasm when every array lives in this memory; same results. */
  readonly biasReluForward: BiasReluKernel;
  readonly reluBackwardBias: ReluBackwardBiasKernel;
  /** ../im2col.ts's range functions in wasm when both arrays live in this memory; same results. */
  readonly im2colRange: typeof im2colRange;
  readonly col2imRange: typeof col2imRange;
  /** ../maxPool.ts in wasm when every array lives in this memory; same results. */
  readonly maxPoolForward: MaxPoolForwardKernel;
  readonly maxPoolBackward: MaxPoolBackwardKernel;
  /** relu and leakyRelu (forward and gradient) in wasm when the arrays live in this memory; same results as layers/activations.ts. */
  readonly activationForward: NonNullable<ActivationKernels['activationForward']>;
  readonly activationBackward: NonNullable<ActivationKernels['activationBackward']>;
  /** Allocator over the instance's memory: views from `arena.alloc(n)` are used without copies. */
  readonly arena: WasmArena;
  readonly relaxed: boolean;
  readonly instance: GemmInstance;
}

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

export function createWasmKernels(options: WasmKernelOptions = {}): WasmMatmulKernels {
  const inst = instantiateGemm(options);
  const { mr, nr } = inst;
  const KC = options.kc ?? 256;
  const MC = roundUp(options.mc ?? 128, mr);
  const NC = roundUp(options.nc ?? 512, nr);
  const workFloats = MC * KC + KC * NC + mr * nr;
  const arena = new WasmArena(inst.memory);
  const gemm = inst.exports.gemm;
  let scratch = 0;
  let scratchBytes = 0;
  let heap = new Float32Array(arena.buffer());

  function ensure(bytes: number): void {
    if (bytes > scratchBytes) {
      if (scratchBytes > 0) arena.free(scratch);
      scratchBytes = roundUp(bytes, 1 << 16);
      scratch = arena.allocBytes(scratchBytes);
    }
    if (heap.byteLength !== inst.memory.buffer.byteLength) heap = new Float32Array(arena.buffer());
  }

  function run(
    ta: boolean, tb: boolean, acc: boolean,
    a: Float32Array, b: Float32Array, out: Float32Array,
    m: number, k: number, n: number, r0: number, r1: number, ldc = n,
  ): void {
    const rows = r1 - r0;
    if (rows <= 0 || n === 0) return;
    const ownA = arena.owns(a);
    const ownB = arena.owns(b);
    const ownC = arena.owns(out);
    if (ldc !== n && !ownC) {
      // Rows apart outside this memory: the product into a dense array, then row by row.
      const dense = new Float32Array(r1 * n);
      if (acc) for (let i = r0; i < r1; i++) dense.set(out.subarray(i * ldc, i * ldc + n), i * n);
      run(ta, tb, acc, a, b, dense, m, k, n, r0, r1);
      for (let i = r0; i < r1; i++) out.set(dense.subarray(i * n, (i + 1) * n), i * ldc);
      return;
    }
    const aLen = ownA ? 0 : roundUp(ta ? k * m : rows * k, 16);
    const bLen = ownB ? 0 : roundUp(k * n, 16);
    const cLen = ownC ? 0 : roundUp(rows * n, 16);
    ensure((workFloats + aLen + bLen + cLen) * 4);
    const work = scratch;
    let free = work + workFloats * 4;
    let aPtr: number;
    if (ownA) aPtr = a.byteOffset + (ta ? r0 * 4 : r0 * k * 4);
    else {
      heap.set(ta ? a.subarray(0, k * m) : a.subarray(r0 * k, r1 * k), free >> 2);
      aPtr = ta ? free + r0 * 4 : free;
      free += aLen * 4;
    }
    let bPtr: number;
    if (ownB) bPtr = b.byteOffset;
    else {
      heap.set(b.subarray(0, k * n), free >> 2);
      bPtr = free;
      free += bLen * 4;
    }
    const cPtr = ownC ? out.byteOffset + r0 * ldc * 4 : free;
    if (acc && !ownC) heap.set(out.subarray(r0 * n, r1 * n), cPtr >> 2);
    gemm(
      aPtr, ta ? 4 : 4 * k, ta ? 4 * m : 4,
      bPtr, tb ? 4 : 4 * n, tb ? 4 * k : 4,
      cPtr, 4 * ldc, rows, k, n,
      work, KC, MC, NC, acc ? 1 : 0,
    );
    if (!ownC) out.set(heap.subarray(cPtr >> 2, (cPtr >> 2) + rows * n), r0 * n);
  }

  const ops = instantiateOps(inst.memory);
  const adam: AdamKernel = (w, g, m, v, from, to, k) => {
    if (to <= from) return;
    if (!(arena.owns(w) && arena.owns(g) && arena.owns(m) && arena.owns(v))) {
      adamRange(w, g, m, v, from, to, k);
      return;
    }
    const o = from * 4;
    ops.adam(
      w.byteOffset + o, g.byteOffset + o, m.byteOffset + o, v.byteOffset + o, to - from,
      k.scale, k.clip, k.l2, k.shrink, k.b1, k.c1, k.b2, k.c2, k.stepSize, k.rbc2, k.eps,
    );
  };
  const addInto = (dst: Float32Array, src: Float32Array, n: number): void => {
    if (arena.owns(dst) && arena.owns(src)) ops.addInto(dst.byteOffset, src.byteOffset, n);
    else for (let i = 0; i < n; i++) dst[i] += src[i];
  };

  const scaleShift: ScaleShiftKernel = (x, y, n, scale, offset) => {
    if (arena.owns(x) && arena.owns(y)) ops.scaleShift(x.byteOffset, y.byteOffset, n, scale, offset);
    else scaleShiftRange(x, y, n, scale, offset);
  };
  const biasRelu: BiasReluKernel = (z, a, bias, rows, f) => {
    if (!(arena.owns(z) && arena.owns(a) && (bias === null || arena.owns(bias)))) biasReluForward(z, a, bias, rows, f);
    else if (bias === null) ops.relu(z.byteOffset, a.byteOffset, rows * f);
    else ops.biasRelu(z.byteOffset, a.byteOffset, bias.byteOffset, rows, f);
  };
  const reluBack: ReluBackwardBiasKernel = (z, dy, dz, biasGrad, rows, f) => {
    if (!(arena.owns(z) && arena.owns(dy) && arena.owns(dz) && (biasGrad === null || arena.owns(biasGrad)))) reluBackwardBias(z, dy, dz, biasGrad, rows, f);
    else ops.reluBackwardBias(z.byteOffset, dy.byteOffset, dz.byteOffset, biasGrad === null ? 0 : biasGrad.byteOffset, rows, f, biasGrad === null ? 0 : 1);
  };

  const geometry = (g: ConvGeometry): number[] => [g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.outH, g.outW];
  const im2col: typeof im2colRange = (x, g, col, s0, s1) => {
    if (arena.owns(x) && arena.owns(col)) ops.im2col(x.byteOffset, col.byteOffset, s0, s1, ...geometry(g));
    else im2colRange(x, g, col, s0, s1);
  };
  const col2im: typeof col2imRange = (col, g, dx, s0, s1) => {
    if (arena.owns(col) && arena.owns(dx)) ops.col2im(col.byteOffset, dx.byteOffset, s0, s1, ...geometry(g));
    else col2imRange(col, g, dx, s0, s1);
  };

  const poolForward: MaxPoolForwardKernel = (x, y, arg, batch, g) => {
    if (!(arena.owns(x) && arena.owns(y) && arena.owns(arg))) maxPoolForward(x, y, arg, batch, g);
    else ops.maxPoolForward(x.byteOffset, y.byteOffset, arg.byteOffset, batch, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, g.outH, g.outW);
  };
  const poolBackward: MaxPoolBackwardKernel = (dy, arg, dx, n, dxLength) => {
    if (!(arena.owns(dy) && arena.owns(arg) && arena.owns(dx))) maxPoolBackward(dy, arg, dx, n, dxLength);
    else ops.maxPoolBackward(dy.byteOffset, arg.byteOffset, dx.byteOffset, n, dxLength);
  };

  const alpha = Math.fround(LEAKY_RELU_ALPHA);
  const activationForward: NonNullable<ActivationKernels['activationForward']> = (name, x, y, n) => {
    if ((name !== 'relu' && name !== 'leakyRelu') || !(arena.owns(x) && arena.owns(y))) return false;
    if (name === 'relu') ops.relu(x.byteOffset, y.byteOffset, n);
    else ops.leakyRelu(x.byteOffset, y.byteOffset, n, alpha);
    return true;
  };
  const activationBackward: NonNullable<ActivationKernels['activationBackward']> = (name, x, dy, dx, n) => {
    if ((name !== 'relu' && name !== 'leakyRelu') || !(arena.owns(x) && arena.owns(dy) && arena.owns(dx))) return false;
    if (name === 'relu') ops.reluBackward(x.byteOffset, dy.byteOffset, dx.byteOffset, n);
    else ops.leakyReluBackward(x.byteOffset, dy.byteOffset, dx.byteOffset, n, alpha);
    return true;
  };

  return {
    adam,
    addInto,
    scaleShift,
    activationForward,
    activationBackward,
    maxPoolForward: poolForward,
    maxPoolBackward: poolBackward,
    im2colRange: im2col,
    col2imRange: col2im,
    biasReluForward: biasRelu,
    reluBackwardBias: reluBack,
    matmulRows: (a, b, out, m, k, n, r0, r1) => run(false, false, false, a, b, out, m, k, n, r0, r1),
    matmulRowsNT: (a, b, out, m, k, n, r0, r1, ldc = n) => run(false, true, false, a, b, out, m, k, n, r0, r1, ldc),
    matmulRowsTN: (a, b, out, m, k, n, r0, r1) => run(true, false, false, a, b, out, m, k, n, r0, r1),
    matmulRowsTT: (a, b, out, m, k, n, r0, r1) => run(true, true, false, a, b, out, m, k, n, r0, r1),
    matmulRowsTNAcc: (a, b, out, m, k, n, r0, r1) => run(true, false, true, a, b, out, m, k, n, r0, r1),
    arena,
    relaxed: inst.relaxed,
    instance: inst,
  };
}
