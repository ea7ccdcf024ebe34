/**
 * One direction of a recurrent layer over a whole sequence, time-major, with
 * backpropagation through time over all steps (no truncation). The subclasses
 * (rnnCell.ts, lstmCell.ts, gruCell.ts) write only the per-step loops; this class does
 * the matrix work on the model's matmul kernels:
 *
 *   pre[T·B, G·u] = x[T·B, F] · W_ihᵀ + b_ih          one matmul for all timesteps
 *   rec[B, G·u]   = h_s[B, u] · W_hhᵀ + b_hh           one matmul per step (h_0 = 0: skipped)
 *   dW_ih += dGiᵀ · x,  dW_hh += dGhᵀ · h_prev          one matmul each for all steps
 *   dx[T·B, F] = dGi · W_ih,  dh_prev = dGh_s · W_hh    (per step)
 *
 * dGi / dGh are the gradients of the gate pre-activations on the input and recurrent
 * sides (the same buffer except for GRU, whose candidate gate scales the recurrent part
 * by r). G = gates (1 RNN, 4 LSTM (i, f, g, o), 3 GRU (r, z, n): PyTorch's order).
 * States h are kept as [(T+1)·B, u] (h_0 = 0 first). Every buffer is a Scratch grown to
 * the largest T·B seen and reused, allocated through the LayerEnv (the kernels' wasm memory
 * by default, so the matmuls and gate kernels use them in place).
 *
 * With the default activations (sigmoid gates, tanh; `fused`), each step's elementwise work
 * (both biases, activations, cell update, and backward the gate gradients) is one call of
 * the kernel set's `recurrent` kernels (kernels/recurrentGates.ts, float32; wasm SIMD in the
 * default set). Other activations run the generic per-step loops of the subclasses.
 */
import type { LayerEnv, MatmulKernelSet } from './layerEnv.ts';
import { Scratch } from './baseLayer.ts';
import { plainRecurrentKernels, type RecurrentKernels } from '../kernels/recurrentGates.ts';
import type { LayerParameter } from './types.ts';
import type { RecurrentActivation } from './recurrentActivations.ts';

export interface CellParams {
  readonly wih: LayerParameter;
  readonly whh: LayerParameter;
  readonly bih?: LayerParameter;
  readonly bhh?: LayerParameter;
}

export interface CellOptions {
  readonly units: number;
  readonly features: number;
  readonly activation: RecurrentActivation;
  readonly recurrentActivation: RecurrentActivation;
  readonly env: LayerEnv;
}

export abstract class RecurrentCell {
  abstract readonly gates: number;
  readonly units: number;
  readonly features: number;
  protected readonly act: RecurrentActivation;
  protected readonly recAct: RecurrentActivation;
  protected readonly kernels: MatmulKernelSet;
  protected readonly rk: RecurrentKernels;
  protected readonly env: LayerEnv;
  /** Whether the steps run on the fused gate kernels (the default activations). */
  protected abstract readonly fused: boolean;
  protected p!: CellParams;
  /** Pre-activations, then (after forward) the activated gates: [T·B, G·u]. */
  protected readonly gatesBuf: Scratch;
  protected readonly hBuf: Scratch;
  protected readonly recBuf: Scratch;
  protected readonly dGiBuf: Scratch;
  protected readonly dhNextBuf: Scratch;
  protected readonly dhTmpBuf: Scratch;
  private readonly dxBuf: Scratch;
  private dwihScratch: Float32Array = new Float32Array(0);
  private dwhhScratch: Float32Array = new Float32Array(0);
  private dbScratch: Float32Array = new Float32Array(0);
  /** b_ih / b_hh as the fused kernels read them (−0 when useBias is false: x + (−0) = x). */
  protected bih: Float32Array = new Float32Array(0);
  protected bhh: Float32Array = new Float32Array(0);
  protected xT: Float32Array = new Float32Array(0);
  protected h: Float32Array = new Float32Array(0);
  protected gatesV: Float32Array = new Float32Array(0);
  protected T = 0;
  protected B = 0;

  constructor(o: CellOptions) {
    this.units = o.units;
    this.features = o.features;
    this.act = o.activation;
    this.recAct = o.recurrentActivation;
    this.env = o.env;
    this.kernels = o.env.kernels;
    this.rk = o.env.kernels.recurrent ?? plainRecurrentKernels;
    const s = (): Scratch => new Scratch(o.env);
    [this.gatesBuf, this.hBuf, this.recBuf, this.dGiBuf, this.dhNextBuf, this.dhTmpBuf, this.dxBuf] = [s(), s(), s(), s(), s(), s(), s()];
  }

  protected allocate(n: number): Float32Array {
    return this.env.allocate ? this.env.allocate(n) : new Float32Array(n);
  }

  bind(p: CellParams): void {
    this.p = p;
    const gu = this.gates * this.units;
    this.dwihScratch = this.allocate(gu * this.features);
    this.dwhhScratch = this.allocate(gu * this.units);
    this.dbScratch = this.allocate(gu);
    if (this.fused && !(p.bih && p.bhh)) {
      const zero = this.allocate(gu).fill(-0);
      this.bih = zero;
      this.bhh = zero;
    } else if (p.bih && p.bhh) {
      this.bih = p.bih.value;
      this.bhh = p.bhh.value;
    }
  }

  /**
   * rec[B, G·u] = h_s · W_hhᵀ (h_0 = 0, so step 0 is zeros), + b_hh unless fused (the fused
   * kernels add it).
   */
  protected recurrent(s: number, rec: Float32Array): void {
    const B = this.B;
    const u = this.units;
    const gu = this.gates * u;
    if (s === 0) rec.fill(0);
    else this.kernels.matmulRowsNT(this.h.subarray(s * B * u, (s + 1) * B * u), this.p.whh.value, rec, B, u, gu, 0, B);
    if (this.fused) return;
    const bhh = this.p.bhh?.value;
    if (bhh) {
      for (let b = 0; b < B; b++) {
        const o = b * gu;
        for (let j = 0; j < gu; j++) rec[o + j] += bhh[j];
      }
    }
  }

  /** dhNext[B, u] = dG_s · W_hh (the gradient flowing to h_s from step s). */
  protected recurrentBack(dG: Float32Array, s: number, out: Float32Array): void {
    const B = this.B;
    const gu = this.gates * this.units;
    this.kernels.matmulRows(dG.subarray(s * B * gu, (s + 1) * B * gu), this.p.whh.value, out, B, gu, this.units, 0, B);
  }

  /**
   * xT: time-major input [T·B, F] (kept until backward). Returns the states [(T+1)·B, u]
   * (h_{s+1} of step s at rows (s+1)·B...), valid until the next forward.
   */
  forward(xT: Float32Array, T: number, B: number): Float32Array {
    this.xT = xT;
    this.T = T;
    this.B = B;
    const u = this.units;
    const gu = this.gates * u;
    const rows = T * B;
    const g = this.gatesBuf.get(rows * gu);
    this.kernels.matmulRowsNT(xT, this.p.wih.value, g, rows, this.features, gu, 0, rows);
    const bih = this.p.bih?.value;
    if (bih && !this.fused) {
      for (let r = 0; r < rows; r++) {
        const o = r * gu;
        for (let j = 0; j < gu; j++) g[o + j] += bih[j];
      }
    }
    this.gatesV = g;
    const h = this.hBuf.get((rows + B) * u);
    h.fill(0, 0, B * u);
    this.h = h;
    this.runForward(this.recBuf.get(B * gu));
    return h;
  }

  /**
   * dhSeq: dL/dh_{s+1} from above, time-major [T·B, u]. Adds into the parameter grads;
   * returns dL/dx time-major [T·B, F] when needDx.
   */
  backward(dhSeq: Float32Array, needDx: boolean): Float32Array | undefined {
    const { T, B } = this;
    const u = this.units;
    const gu = this.gates * u;
    const rows = T * B;
    // Fused, each step's gate gradients overwrite that step's gates in place (the kernels
    // read a position's gates before writing its gradients, and backward is the last use
    // of the forward state): one [T·B, G·u] buffer less, and the data stays in cache.
    const dGi = this.fused ? this.gatesV : this.dGiBuf.get(rows * gu);
    const dGh = this.runBackward(dhSeq, dGi);
    // dW_ih += dGiᵀ · x
    this.kernels.matmulRowsTN(dGi, this.xT, this.dwihScratch, gu, rows, this.features, 0, gu);
    this.addInto(this.p.wih.grad, this.dwihScratch);
    // dW_hh += Σ_{s ≥ 1} dGh_sᵀ · h_s (h_0 = 0 contributes nothing)
    if (T > 1) {
      this.kernels.matmulRowsTN(dGh.subarray(B * gu, rows * gu), this.h.subarray(B * u, rows * u), this.dwhhScratch, gu, rows - B, u, 0, gu);
      this.addInto(this.p.whh.grad, this.dwhhScratch);
    }
    if (this.p.bih && this.p.bhh) {
      const sum = this.dbScratch;
      sum.fill(0);
      this.rk.colSum(sum, dGi, rows, gu);
      this.addInto(this.p.bih.grad, sum);
      if (dGh !== dGi) {
        sum.fill(0);
        this.rk.colSum(sum, dGh, rows, gu);
      }
      this.addInto(this.p.bhh.grad, sum);
    }
    if (!needDx) return undefined;
    const dx = this.dxBuf.get(rows * this.features);
    this.kernels.matmulRows(dGi, this.p.wih.value, dx, rows, gu, this.features, 0, rows);
    return dx;
  }

  private addInto(dst: Float32Array, src: Float32Array): void {
    if (this.kernels.addInto) this.kernels.addInto(dst, src, dst.length);
    else for (let i = 0; i < dst.length; i++) dst[i] += src[i];
  }

  /** Runs the T steps: gatesV holds x·W_ihᵀ (+ b_ih unless fused) on entry; fills h rows B.. */
  protected abstract runForward(rec: Float32Array): void;
  /** Fills dGi (and returns dGh, which may be dGi itself). */
  protected abstract runBackward(dhSeq: Float32Array, dGi: Float32Array): Float32Array;
}

