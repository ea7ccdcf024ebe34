/**
 * LSTM steps (PyTorch's nn.LSTM, gate order i, f, g, o):
 *   i = σ(pre_i), f = σ(pre_f), g = act(pre_g), o = σ(pre_o)
 *   c' = f ⊙ c + i ⊙ g,  h' = o ⊙ act(c')
 * (σ = recurrentActivation, sigmoid by default; act = activation, tanh by default.)
 * Kept for backward: activated gates [T·B, 4u], cells c [(T+1)·B, u], act(c) [T·B, u].
 * With sigmoid / tanh (the defaults) each step is one call of the fused kernels
 * (kernels/recurrentGates.ts `lstmForward` / `lstmBackward`); otherwise the loops below.
 */
import { Scratch } from './baseLayer.ts';
import { RecurrentCell } from './recurrentCell.ts';
import { activateRange, mulDerivative } from './recurrentActivations.ts';

export class LstmCell extends RecurrentCell {
  readonly gates = 4;
  protected readonly fused = this.recAct === 'sigmoid' && this.act === 'tanh';
  private readonly cBuf = new Scratch(this.env);
  private readonly tcBuf = new Scratch(this.env);
  private readonly dcBuf = new Scratch(this.env);
  private c: Float32Array = new Float32Array(0);
  private tc: Float32Array = new Float32Array(0);

  protected runForward(rec: Float32Array): void {
    const { T, B } = this;
    const u = this.units;
    const gu = 4 * u;
    const g = this.gatesV;
    const h = this.h;
    const c = this.cBuf.get((T + 1) * B * u);
    const tc = this.tcBuf.get(T * B * u);
    c.fill(0, 0, B * u);
    this.c = c;
    this.tc = tc;
    if (this.fused) {
      const bu = B * u;
      for (let s = 0; s < T; s++) {
        this.recurrent(s, rec);
        const cp = s * bu;
        const cn = cp + bu;
        this.rk.lstmForward(g.subarray(s * B * gu, (s + 1) * B * gu), rec, this.bih, this.bhh,
          c.subarray(cp, cn), c.subarray(cn, cn + bu), tc.subarray(cp, cn), h.subarray(cn, cn + bu), B, u);
      }
      return;
    }
    for (let s = 0; s < T; s++) {
      this.recurrent(s, rec);
      const g0 = s * B * gu;
      for (let k = 0; k < B * gu; k++) g[g0 + k] += rec[k];
      for (let b = 0; b < B; b++) {
        const r = g0 + b * gu;
        activateRange(this.recAct, g, r, r + 2 * u);
        activateRange(this.act, g, r + 2 * u, r + 3 * u);
        activateRange(this.recAct, g, r + 3 * u, r + gu);
      }
      const cp = s * B * u;
      const cn = cp + B * u;
      for (let b = 0; b < B; b++) {
        const r = g0 + b * gu;
        const o = b * u;
        for (let j = 0; j < u; j++) c[cn + o + j] = g[r + u + j] * c[cp + o + j] + g[r + j] * g[r + 2 * u + j];
      }
      tc.set(c.subarray(cn, cn + B * u), cp);
      activateRange(this.act, tc, cp, cn);
      for (let b = 0; b < B; b++) {
        const r = g0 + b * gu + 3 * u;
        const o = b * u;
        for (let j = 0; j < u; j++) h[cn + o + j] = g[r + j] * tc[cp + o + j];
      }
    }
  }

  protected runBackward(dhSeq: Float32Array, dG: Float32Array): Float32Array {
    const { T, B } = this;
    const u = this.units;
    const gu = 4 * u;
    const bu = B * u;
    const g = this.gatesV;
    const c = this.c;
    const tc = this.tc;
    const dhNext = this.dhNextBuf.get(bu);
    const dcNext = this.dcBuf.get(2 * bu);
    const dtc = dcNext.subarray(bu, 2 * bu);
    dhNext.fill(0);
    dcNext.fill(0, 0, bu);
    if (this.fused) {
      const dc = dcNext.subarray(0, bu);
      for (let s = T - 1; s >= 0; s--) {
        const cp = s * bu;
        const gs = s * B * gu;
        this.rk.lstmBackward(g.subarray(gs, gs + B * gu), dG.subarray(gs, gs + B * gu), dhSeq.subarray(cp, cp + bu), dhNext,
          c.subarray(cp, cp + bu), tc.subarray(cp, cp + bu), dc, B, u);
        if (s > 0) this.recurrentBack(dG, s, dhNext);
      }
      return dG;
    }
    for (let s = T - 1; s >= 0; s--) {
      const g0 = s * B * gu;
      const cp = s * bu;
      // dh = dhSeq_s + dhNext; dG_o = dh ⊙ act(c'); dtc = dh ⊙ o
      for (let b = 0; b < B; b++) {
        const r = g0 + b * gu;
        const o = b * u;
        for (let j = 0; j < u; j++) {
          const dh = dhSeq[cp + o + j] + dhNext[o + j];
          dG[r + 3 * u + j] = dh * tc[cp + o + j];
          dtc[o + j] = dh * g[r + 3 * u + j];
        }
      }
      mulDerivative(this.act, tc, cp, dtc, 0, bu);
      for (let b = 0; b < B; b++) {
        const r = g0 + b * gu;
        const o = b * u;
        for (let j = 0; j < u; j++) {
          const dc = dcNext[o + j] + dtc[o + j];
          dG[r + j] = dc * g[r + 2 * u + j];
          dG[r + u + j] = dc * c[cp + o + j];
          dG[r + 2 * u + j] = dc * g[r + j];
          dcNext[o + j] = dc * g[r + u + j];
        }
        mulDerivative(this.recAct, g, r, dG, r, 2 * u);
        mulDerivative(this.act, g, r + 2 * u, dG, r + 2 * u, u);
        mulDerivative(this.recAct, g, r + 3 * u, dG, r + 3 * u, u);
      }
      if (s > 0) this.recurrentBack(dG, s, dhNext);
    }
    return dG;
  }
}
