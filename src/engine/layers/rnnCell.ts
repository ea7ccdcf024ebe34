/**
 * Simple RNN steps (PyTorch's nn.RNN, one gate): h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
 * Kept for backward: the states h only (the derivative comes from the activated value).
 * With tanh (the default) each step is one call of the fused kernels
 * (kernels/recurrentGates.ts `rnnForward` / `rnnBackward`); otherwise the loops below.
 */
import { RecurrentCell } from './recurrentCell.ts';
import { activateRange, mulDerivative } from './recurrentActivations.ts';

export class RnnCell extends RecurrentCell {
  readonly gates = 1;
  protected readonly fused = this.act === 'tanh';

  protected runForward(rec: Float32Array): void {
    const { T, B } = this;
    const bu = B * this.units;
    const g = this.gatesV;
    const h = this.h;
    if (this.fused) {
      for (let s = 0; s < T; s++) {
        this.recurrent(s, rec);
        this.rk.rnnForward(g.subarray(s * bu, (s + 1) * bu), rec, this.bih, this.bhh, h.subarray((s + 1) * bu, (s + 2) * bu), B, this.units);
      }
      return;
    }
    for (let s = 0; s < T; s++) {
      this.recurrent(s, rec);
      const g0 = s * bu;
      const h0 = g0 + bu;
      for (let k = 0; k < bu; k++) h[h0 + k] = g[g0 + k] + rec[k];
      activateRange(this.act, h, h0, h0 + bu);
    }
  }

  protected runBackward(dhSeq: Float32Array, dG: Float32Array): Float32Array {
    const { T, B } = this;
    const bu = B * this.units;
    const dhNext = this.dhNextBuf.get(bu);
    dhNext.fill(0);
    if (this.fused) {
      for (let s = T - 1; s >= 0; s--) {
        const g0 = s * bu;
        this.rk.rnnBackward(dG.subarray(g0, g0 + bu), dhSeq.subarray(g0, g0 + bu), dhNext, this.h.subarray(g0 + bu, g0 + 2 * bu), B, this.units);
        if (s > 0) this.recurrentBack(dG, s, dhNext);
      }
      return dG;
    }
    for (let s = T - 1; s >= 0; s--) {
      const g0 = s * bu;
      for (let k = 0; k < bu; k++) dG[g0 + k] = dhSeq[g0 + k] + dhNext[k];
      mulDerivative(this.act, this.h, g0 + bu, dG, g0, bu);
      if (s > 0) this.recurrentBack(dG, s, dhNext);
    }
    return dG;
  }
}
