/**
 * GRU steps, PyTorch's nn.GRU (= Keras GRU with resetAfter: true), gate order r, z, n:
 *   r = σ(xr + hr), z = σ(xz + hz), n = act(xn + r ⊙ hn),  h' = (1 − z) ⊙ n + z ⊙ h
 * where x· = x·W_ihᵀ + b_ih and h· = h·W_hhᵀ + b_hh (per gate slice).
 * Kept for backward: activated gates [T·B, 3u] and the recurrent projections [T·B, 3u]
 * (hn is needed for dr). The recurrent-side gradient differs from the input side in the
 * candidate slice (scaled by r), so backward fills a second buffer dGh.
 */
import { Scratch } from './baseLayer.ts';
import { RecurrentCell } from './recurrentCell.ts';
import { activateRange, mulDerivative } from './recurrentActivations.ts';

export class GruCell extends RecurrentCell {
  readonly gates = 3;
  private readonly hpBuf = new Scratch();
  private readonly dGhBuf = new Scratch();
  private hp: Float32Array = new Float32Array(0);

  protected runForward(_rec: Float32Array): void {
    const { T, B } = this;
    const u = this.units;
    const gu = 3 * u;
    const g = this.gatesV;
    const h = this.h;
    const hp = this.hpBuf.get(T * B * gu);
    this.hp = hp;
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
    const dGh = this.dGhBuf.get(T * B * gu);
    const dhNext = this.dhNextBuf.get(bu);
    const dhRec = this.dhTmpBuf.get(bu);
    dhNext.fill(0);
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
