/**
 * One Adam/AdamW update of elements [from, to), in float32 arithmetic one IEEE operation at
 * a time in PyTorch's order (so it matches PyTorch's float32 Adam closely, and the
 * WebAssembly SIMD kernel `adam` of kernels/wasm/opsWat.ts bit for bit):
 *
 *   g' = clamp(g*scale, -clip, clip); w' = w*shrink; g' = g' + l2*w'
 *   m = m*b1 + g'*(1-b1); v = v*b2 + (g'*g')*(1-b2)         (amsgrad: vmax = max(vmax, v))
 *   m, v = 0 where they fell under the smallest normal float (2^-126)
 *   w = w' - stepSize * (m / (sqrt(v)*rbc2 + eps))
 *
 * (PyTorch divides sqrt(v) by bc2; multiplying by its reciprocal saves one of the two
 * divisions that bound the loop's speed, and moves the result by at most an ulp of the
 * denominator.) Every coefficient is a float32 value (`adamCoefficients` rounds them once per step).
 * The flush of subnormal moments: subnormal.ts.
 */

import { flushSubnormal } from './subnormal.ts';

export interface AdamCoefficients {
  /** Clip-by-norm scale (1 when unclipped). */
  scale: number;
  /** Clip by value (Infinity when unclipped). */
  clip: number;
  /** L2 penalty added to the gradient (Adam's weightDecay; 0 for AdamW). */
  l2: number;
  /** Decoupled decay factor 1 - lr*wd (AdamW), else 1. */
  shrink: number;
  b1: number;
  b2: number;
  /** 1 - b1, 1 - b2. */
  c1: number;
  c2: number;
  /** lr / (1 - b1^t). */
  stepSize: number;
  /** 1 / sqrt(1 - b2^t). */
  rbc2: number;
  eps: number;
}

/** A kernel doing `adamRange`'s work (without amsgrad), e.g. in WebAssembly. */
export type AdamKernel = (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, from: number, to: number, k: AdamCoefficients) => void;

const f = Math.fround;

export function adamCoefficients(o: {
  lr: number; t: number; scale: number; clip: number; l2: number; shrink: number; b1: number; b2: number; eps: number;
}): AdamCoefficients {
  return {
    scale: f(o.scale),
    clip: f(o.clip),
    l2: f(o.l2),
    shrink: f(o.shrink),
    b1: f(o.b1),
    b2: f(o.b2),
    c1: f(1 - o.b1),
    c2: f(1 - o.b2),
    stepSize: f(o.lr / (1 - Math.pow(o.b1, o.t))),
    rbc2: f(1 / Math.sqrt(1 - Math.pow(o.b2, o.t))),
    eps: f(o.eps),
  };
}

export function adamRange(
  w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, from: number, to: number,
  k: AdamCoefficients, vmax: Float32Array | null = null,
): void {
  const { scale, clip, l2, shrink, b1, b2, c1, c2, stepSize, rbc2, eps } = k;
  const nclip = -clip;
  for (let i = from; i < to; i++) {
    let gi = f(g[i] * scale);
    gi = clip < gi ? clip : gi;
    gi = gi < nclip ? nclip : gi;
    const wi = f(w[i] * shrink);
    gi = f(gi + f(l2 * wi));
    const mi = flushSubnormal(f(f(m[i] * b1) + f(gi * c1)));
    let vi = flushSubnormal(f(f(v[i] * b2) + f(f(gi * gi) * c2)));
    m[i] = mi;
    v[i] = vi;
    if (vmax !== null) {
      if (vi > vmax[i]) vmax[i] = vi;
      vi = vmax[i];
    }
    w[i] = f(wi - f(stepSize * f(mi / f(f(f(Math.sqrt(vi)) * rbc2) + eps))));
  }
}
