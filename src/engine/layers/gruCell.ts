/**
 * GRU steps, PyTorch's nn.GRU (= Keras GRU with resetAfter: true), gate order r, z, n:
 *   r = σ(xr + hr), z = σ(xz + hz), n = act(xn + r ⊙ hn),  h' = (1 − z) ⊙ n + z ⊙ h
 * where x· = x·W_ihᵀ + b_ih and h· = h·W_hhᵀ + b_hh (per gate slice).
 * Kept for backward: activated gates [T·B, 3u] and the recurrent projections [T·B, 3u]
 * (hn is needed for dr). The recurrent-side gradient differs from the input side in the
 * candidate slice (scaled by r), so backward fills a second buffer dGh.
 * With sigmoid / tanh (the defaults) each step is one call of the fused kernels
 * (kernels/recurrentGates.ts `gruForward` / `gruBackward`); otherwise the loops below.
 */
import { Scratch } from './baseLayer.ts';
import { RecurrentCell } from './recurrentCell.ts';
import { activateRange, mulDerivative } from './recurrentActivations.ts';

export class GruCell extends RecurrentCell {
  readonly gates = 3;
  protected readonly fused = this.recAct === 'sigmoid' && this.act === 'tanh';
  private readonly hpBuf = new Scratch(this.env);
  private readonly dGhBuf = new Scratch(this.env);
  private hp: Float32Array = new Float32Array(0);

  protected runForward(_rec: Float32Array): void {
    const { T, B } = this;
    const u = this.units;
    const gu = 3 * u;
    const g = this.gatesV;
    const h = this.h;
    const hp = this.hpBuf.get(T * B * gu);
    this.hp = hp;
    if (this.fused) {
      const bu = B * u;
      for (let s = 0; s < T; s++) {
        const g0 = s * B * gu;
        const rec = hp.subarray(g0, g0 + B * gu);
        this.recurrent(s, rec);
        this.rk.gruForward(g.subarray(g0, g0 + B * gu), rec, this.bih, this.bhh, h.subarray(s * bu, (s + 1) * bu), h.subarray((s + 1) * bu, (s + 2) * bu), B, u);
      }
      return;
    }
    for (let s = 0; s < T; s++) {
      const g0 = s * B * gu;
      const rec = hp.subarray(g0, g0 + B * gu);
      this.recurrent(s, rec);
      const hPrev = s * B * u;
      const hNew = hPrev + B * u;
      for (let b = 0; b < B; b++) {
        const r = g0 + b * gu;
        const q = b * gu;
        for (let j = 0; j < 2 * u; j++) g[r + j] += rec[q + j];
        activateRange(this.recAct, g, r, r + 2 * u);
        for (let j = 0; j < u; j++) g[r + 2 * u + j] += g[r + j] * rec[q + 2 * u + j];
        activateRange(this.act, g, r + 2 * u, r + gu);
        const o = b * u;
        for (let j = 0; j < u; j++) {
          const z = g[r + u + j];
          h[hNew + o + j] = (1 - z) * g[r + 2 * u + j] + z * h[hPrev + o + j];
        }
      }
    }
  }

  protected runBackward(dhSeq: Float32Array, dGi: Float32Array): Float32Array {
    const { T, B } = this;
    const u = this.units;
    const gu = 3 * u;
    const bu = B * u;
    const g = this.gatesV;
    const h = this.h;
    const hp = this.hp;
    // Fused: dGh overwrites the recurrent projections in place (as dGi the gates; see RecurrentCell.backward).
    const dGh = this.fused ? hp : this.dGhBuf.get(T * B * gu);
    const dhNext = this.dhNextBuf.get(bu);
    const dhRec = this.dhTmpBuf.get(bu);
    dhNext.fill(0);
    if (this.fused) {
      // dh = dhSeq + (dhNext + dhRec): the kernel adds the recurrent matmul's part itself.
      dhRec.fill(0);
      for (let s = T - 1; s >= 0; s--) {
        const g0 = s * B * gu;
        const e = g0 + B * gu;
        this.rk.gruBackward(g.subarray(g0, e), hp.subarray(g0, e), dGi.subarray(g0, e), dGh.subarray(g0, e),
          dhSeq.subarray(s * bu, (s + 1) * bu), dhNext, dhRec, h.subarray(s * bu, (s + 1) * bu), B, u);
        if (s > 0) this.recurrentBack(dGh, s, dhRec);
      }
      return dGh;
    }
    for (let s = T - 1; s >= 0; s--) {
      const g0 = s * B * gu;
      const hPrev = s * bu;
      for (let b = 0; b < B; b++) {
        const r = g0 + b * gu;
        const o = b * u;
        for (let j = 0; j < u; j++) {
          const dh = dhSeq[hPrev + o + j] + dhNext[o + j];
          const z = g[r + u + j];
          const n = g[r + 2 * u + j];
          dGi[r + 2 * u + j] = dh * (1 - z);
          dGi[r + u + j] = dh * (h[hPrev + o + j] - n);
          dhNext[o + j] = dh * z;
        }
        mulDerivative(this.act, g, r + 2 * u, dGi, r + 2 * u, u);
        for (let j = 0; j < u; j++) {
          const dn = dGi[r + 2 * u + j];
          dGi[r + j] = dn * hp[r + 2 * u + j];
          dGh[r + 2 * u + j] = dn * g[r + j];
        }
        mulDerivative(this.recAct, g, r, dGi, r, 2 * u);
        for (let j = 0; j < 2 * u; j++) dGh[r + j] = dGi[r + j];
      }
      if (s > 0) {
        this.recurrentBack(dGh, s, dhRec);
        for (let k = 0; k < bu; k++) dhNext[k] += dhRec[k];
      }
    }
    return dGh;
  }
}
