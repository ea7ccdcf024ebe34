/**
 * The recurrent layers' gate math (simpleRNN / LSTM / GRU with their default activations:
 * sigmoid gates, tanh candidate and output), fused per timestep, in float32: the plain
 * reference of the WebAssembly SIMD kernels in `wasm/recurrentWat.ts`, which must equal it
 * bit for bit.
 *
 * Every value is computed one IEEE float32 operation at a time in a fixed order
 * (`f = Math.fround` after each +, -, *, /: a float32 operation equals the double one
 * rounded to float32), and sigmoid / tanh use a float32 polynomial exp (Cephes' expf:
 * range reduction by ln 2 in two parts, degree-6 polynomial; relative error ~1e-7) that the
 * SIMD code evaluates with the same operations, lane by lane (n = round(a·log2 e) by adding
 * and subtracting 1.5·2^23; the SIMD code takes 2^n from that sum's bits):
 *
 *   sigmoid(x) = 1 / (1 + e) for x ≥ 0, e / (1 + e) for x < 0,   e = exp(−|x|)
 *   tanh(x)    = x + x·s·P(s), s = x² (|x| < 0.625, Cephes' tanhf), else ±(1 − e) / (1 + e), e = exp(−2|x|)
 *
 * exp's argument is clamped to [−87, 0] (its result stays a normal float); sigmoid flushes
 * e to 0 beyond |x| > 87, so sigmoid(−∞) = 0, sigmoid(∞) = 1, tanh(±∞) = ±1, NaN gives NaN,
 * as the double-precision forms did.
 *
 * Layouts (row-major, one timestep): gates [B, G·u] in PyTorch's order (LSTM i, f, g, o;
 * GRU r, z, n), states [B, u], biases [G·u] (pass a vector of −0 for no bias: x + (−0) = x
 * exactly). The step functions take views of exactly one step.
 */
const f = Math.fround;

export const EXP_LOG2E = f(Math.LOG2E);
/** 1.5·2^23: adding it rounds a float32 of magnitude < 2^22 to an integer (to nearest, ties to even). */
export const EXP_ROUND = 12582912;
/** ln 2 = EXP_C1 − EXP_C2 (EXP_C1 has 9 bits, so n·EXP_C1 is exact). */
export const EXP_C1 = f(0.693359375);
export const EXP_C2 = f(-2.12194440e-4);
export const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].map(f);
/** Cephes tanhf's odd polynomial for |x| < TANH_SMALL. */
export const TANH_P = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1].map(f);
export const TANH_SMALL = f(0.625);
/** exp's argument is clamped to [−EXP_CLAMP, 0]. */
export const EXP_CLAMP = 87;

const [P0, P1, P2, P3, P4, P5] = EXP_P;
/** POW2[k] = 2^−k: the scale 2^n of exp (n in [−126, 0]), as the SIMD code builds it from bits. */
const POW2 = Float64Array.from({ length: 127 }, (_, k) => 2 ** -k);
const [T0, T1, T2, T3, T4] = TANH_P;

/** e^a for a in [−87, 0] (or NaN), in float32 operations. */
export function expNegF32(a: number): number {
  const n = f(f(f(a * EXP_LOG2E) + EXP_ROUND) - EXP_ROUND);
  let r = f(a - f(n * EXP_C1));
  r = f(r - f(n * EXP_C2));
  const z = f(r * r);
  let p = f(f(P0 * r) + P1);
  p = f(f(p * r) + P2);
  p = f(f(p * r) + P3);
  p = f(f(p * r) + P4);
  p = f(f(p * r) + P5);
  const y = f(f(f(p * z) + r) + 1);
  return n === n ? f(y * POW2[-n | 0]) : Number.NaN;
}

export function sigmoidF32(x: number): number {
  const ax = Math.abs(x);
  const e = ax > EXP_CLAMP ? 0 : expNegF32(-Math.min(ax, EXP_CLAMP));
  const p = f(1 / f(1 + e));
  return x < 0 ? f(e * p) : p;
}

export function tanhF32(x: number): number {
  const ax = Math.abs(x);
  if (ax < TANH_SMALL) {
    const s = f(x * x);
    let q = f(f(T0 * s) + T1);
    q = f(f(q * s) + T2);
    q = f(f(q * s) + T3);
    q = f(f(q * s) + T4);
    return f(f(f(q * s) * x) + x);
  }
  const e = expNegF32(-Math.min(f(ax + ax), EXP_CLAMP));
  const big = f(f(1 - e) / f(1 + e));
  return x < 0 ? -big : big;
}

/** The fused per-timestep kernels (views of one step; see the file comment for layouts). */
export interface RecurrentKernels {
  /**
   * LSTM step: pre = (g + b_ih) + (rec + b_hh); g ← (σ(i), σ(f), tanh(g), σ(o));
   * cNext = f⊙cPrev + i⊙g; tc = tanh(cNext); hNext = o⊙tc.
   */
  lstmForward(g: Float32Array, rec: Float32Array, bih: Float32Array, bhh: Float32Array,
    cPrev: Float32Array, cNext: Float32Array, tc: Float32Array, hNext: Float32Array, B: number, u: number): void;
  /**
   * LSTM step backward: dh = dhSeq + dhNext; writes dG (pre-activation gradients, gate order
   * of g); dc (in: from the next step) ← dc_s·f.
   */
  lstmBackward(g: Float32Array, dG: Float32Array, dhSeq: Float32Array, dhNext: Float32Array,
    cPrev: Float32Array, tc: Float32Array, dc: Float32Array, B: number, u: number): void;
  /**
   * GRU step: hp ← rec + b_hh (kept for backward); r = σ(x_r + hp_r), z = σ(x_z + hp_z),
   * n = tanh(x_n + r⊙hp_n) with x = g + b_ih; g ← (r, z, n); hNext = (1 − z)⊙n + z⊙hPrev.
   */
  gruForward(g: Float32Array, hp: Float32Array, bih: Float32Array, bhh: Float32Array,
    hPrev: Float32Array, hNext: Float32Array, B: number, u: number): void;
  /**
   * GRU step backward: dh = dhSeq + (dhNext + dhRec); writes dGi (input side) and dGh
   * (recurrent side: the candidate slice scaled by r); dhNext ← dh⊙z.
   */
  gruBackward(g: Float32Array, hp: Float32Array, dGi: Float32Array, dGh: Float32Array, dhSeq: Float32Array,
    dhNext: Float32Array, dhRec: Float32Array, hPrev: Float32Array, B: number, u: number): void;
  /** simpleRNN (tanh) step: hNext = tanh((g + b_ih) + (rec + b_hh)). */
  rnnForward(g: Float32Array, rec: Float32Array, bih: Float32Array, bhh: Float32Array, hNext: Float32Array, B: number, u: number): void;
  /** simpleRNN (tanh) step backward: dG = (dhSeq + dhNext)·(1 − h²). */
  rnnBackward(dG: Float32Array, dhSeq: Float32Array, dhNext: Float32Array, h: Float32Array, B: number, u: number): void;
  /** dst[j] += m[r, j] for r = 0, 1, ... rows−1 in that order (m: [rows, cols]). */
  colSum(dst: Float32Array, m: Float32Array, rows: number, cols: number): void;
}

function lstmForward(g: Float32Array, rec: Float32Array, bih: Float32Array, bhh: Float32Array,
  cPrev: Float32Array, cNext: Float32Array, tc: Float32Array, hNext: Float32Array, B: number, u: number): void {
  const gu = 4 * u;
  for (let b = 0; b < B; b++) {
    const r = b * gu;
    const o = b * u;
    for (let j = 0; j < u; j++) {
      const ki = r + j, kf = ki + u, kg = kf + u, ko = kg + u;
      const i = sigmoidF32(f(f(g[ki] + bih[j]) + f(rec[ki] + bhh[j])));
      const fg = sigmoidF32(f(f(g[kf] + bih[u + j]) + f(rec[kf] + bhh[u + j])));
      const gg = tanhF32(f(f(g[kg] + bih[2 * u + j]) + f(rec[kg] + bhh[2 * u + j])));
      const og = sigmoidF32(f(f(g[ko] + bih[3 * u + j]) + f(rec[ko] + bhh[3 * u + j])));
      g[ki] = i;
      g[kf] = fg;
      g[kg] = gg;
      g[ko] = og;
      const c = f(f(fg * cPrev[o + j]) + f(i * gg));
      const t = tanhF32(c);
      cNext[o + j] = c;
      tc[o + j] = t;
      hNext[o + j] = f(og * t);
    }
  }
}

function lstmBackward(g: Float32Array, dG: Float32Array, dhSeq: Float32Array, dhNext: Float32Array,
  cPrev: Float32Array, tc: Float32Array, dc: Float32Array, B: number, u: number): void {
  const gu = 4 * u;
  for (let b = 0; b < B; b++) {
    const r = b * gu;
    const o = b * u;
    for (let j = 0; j < u; j++) {
      const ki = r + j, kf = ki + u, kg = kf + u, ko = kg + u;
      const i = g[ki], fg = g[kf], gg = g[kg], og = g[ko];
      const t = tc[o + j];
      const dh = f(dhSeq[o + j] + dhNext[o + j]);
      dG[ko] = f(f(dh * t) * f(og * f(1 - og)));
      const dt = f(f(dh * og) * f(1 - f(t * t)));
      const d = f(dc[o + j] + dt);
      dG[ki] = f(f(d * gg) * f(i * f(1 - i)));
      dG[kf] = f(f(d * cPrev[o + j]) * f(fg * f(1 - fg)));
      dG[kg] = f(f(d * i) * f(1 - f(gg * gg)));
      dc[o + j] = f(d * fg);
    }
  }
}

function gruForward(g: Float32Array, hp: Float32Array, bih: Float32Array, bhh: Float32Array,
  hPrev: Float32Array, hNext: Float32Array, B: number, u: number): void {
  const gu = 3 * u;
  for (let b = 0; b < B; b++) {
    const r = b * gu;
    const o = b * u;
    for (let j = 0; j < u; j++) {
      const kr = r + j, kz = kr + u, kn = kz + u;
      const hr = f(hp[kr] + bhh[j]);
      const hz = f(hp[kz] + bhh[u + j]);
      const hn = f(hp[kn] + bhh[2 * u + j]);
      hp[kr] = hr;
      hp[kz] = hz;
      hp[kn] = hn;
      const rg = sigmoidF32(f(f(g[kr] + bih[j]) + hr));
      const z = sigmoidF32(f(f(g[kz] + bih[u + j]) + hz));
      const n = tanhF32(f(f(g[kn] + bih[2 * u + j]) + f(rg * hn)));
      g[kr] = rg;
      g[kz] = z;
      g[kn] = n;
      hNext[o + j] = f(f(f(1 - z) * n) + f(z * hPrev[o + j]));
    }
  }
}

function gruBackward(g: Float32Array, hp: Float32Array, dGi: Float32Array, dGh: Float32Array, dhSeq: Float32Array,
  dhNext: Float32Array, dhRec: Float32Array, hPrev: Float32Array, B: number, u: number): void {
  const gu = 3 * u;
  for (let b = 0; b < B; b++) {
    const r = b * gu;
    const o = b * u;
    for (let j = 0; j < u; j++) {
      const kr = r + j, kz = kr + u, kn = kz + u;
      const rg = g[kr], z = g[kz], n = g[kn];
      const dh = f(dhSeq[o + j] + f(dhNext[o + j] + dhRec[o + j]));
      const dn = f(f(dh * f(1 - z)) * f(1 - f(n * n)));
      const dz = f(f(dh * f(hPrev[o + j] - n)) * f(z * f(1 - z)));
      const dr = f(f(dn * hp[kn]) * f(rg * f(1 - rg)));
      dGi[kr] = dr;
      dGi[kz] = dz;
      dGi[kn] = dn;
      dGh[kr] = dr;
      dGh[kz] = dz;
      dGh[kn] = f(dn * rg);
      dhNext[o + j] = f(dh * z);
    }
  }
}

function rnnForward(g: Float32Array, rec: Float32Array, bih: Float32Array, bhh: Float32Array, hNext: Float32Array, B: number, u: number): void {
  for (let b = 0; b < B; b++) {
    const o = b * u;
    for (let j = 0; j < u; j++) hNext[o + j] = tanhF32(f(f(g[o + j] + bih[j]) + f(rec[o + j] + bhh[j])));
  }
}

function rnnBackward(dG: Float32Array, dhSeq: Float32Array, dhNext: Float32Array, h: Float32Array, B: number, u: number): void {
  const n = B * u;
  for (let k = 0; k < n; k++) {
    const v = h[k];
    dG[k] = f(f(dhSeq[k] + dhNext[k]) * f(1 - f(v * v)));
  }
}

function colSum(dst: Float32Array, m: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) dst[j] += m[o + j];
  }
}

/** The plain reference set. */
export const plainRecurrentKernels: RecurrentKernels = { lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward, colSum };
