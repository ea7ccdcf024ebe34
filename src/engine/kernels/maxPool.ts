/**
 * 2-D max pooling over channels-last images, forward and backward (the references of the
 * WebAssembly versions in wasm/poolWat.ts, which equal them bit for bit). Geometry as in
 * im2col.ts (kh x kw window, strides sh / sw, padTop / padLeft; padding never wins).
 * Forward writes each output's maximum and the index in `x` of the first input that holds
 * it (`arg`); backward adds each output gradient onto that input.
 */
import type { ConvGeometry } from './im2col.ts';

export type MaxPoolForwardKernel = (x: Float32Array, y: Float32Array, arg: Int32Array, batch: number, g: ConvGeometry) => void;
export type MaxPoolBackwardKernel = (dy: Float32Array, arg: Int32Array, dx: Float32Array, n: number, dxLength: number) => void;

export function maxPoolForward(x: Float32Array, y: Float32Array, arg: Int32Array, batch: number, g: ConvGeometry): void {
  const { h, w, c, kh, kw, sh, sw, padTop, padLeft, outH, outW } = g;
  const img = h * w * c;
  // Offsets of a whole window from its top-left input, for windows fully inside the image.
  const offs = new Int32Array(kh * kw);
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) offs[ky * kw + kx] = (ky * w + kx) * c;
  const nk = offs.length;
  let o = 0;
  for (let s = 0; s < batch; s++) {
    for (let oy = 0; oy < outH; oy++) {
      const top = oy * sh - padTop;
      const y0 = Math.max(top, 0);
      const y1 = Math.min(top + kh, h);
      for (let ox = 0; ox < outW; ox++) {
        const left = ox * sw - padLeft;
        const x0 = Math.max(left, 0);
        const x1 = Math.min(left + kw, w);
        const first = s * img + (y0 * w + x0) * c;
        if (y1 - y0 === kh && x1 - x0 === kw) {
          for (let ch = 0; ch < c; ch++) {
            // Branch-free: the winner's index moves by (i − at)·[x[i] > x[at]] (integer maths,
            // so exact); a data-dependent `if` mispredicts on random inputs (measured 2x slower).
            let at = first + ch;
            for (let k = 1; k < nk; k++) {
              const i = first + ch + offs[k];
              at += +(x[i] > x[at]) * (i - at);
            }
            y[o + ch] = x[at];
            arg[o + ch] = at;
          }
        } else {
          for (let ch = 0; ch < c; ch++) {
            let best = x[first + ch];
            let at = first + ch;
            for (let iy = y0; iy < y1; iy++) {
              for (let ix = x0, i = s * img + (iy * w + x0) * c + ch; ix < x1; ix++, i += c) {
                const v = x[i];
                if (v > best) {
                  best = v;
                  at = i;
                }
              }
            }
            y[o + ch] = best;
            arg[o + ch] = at;
          }
        }
        o += c;
      }
    }
  }
}

/** dx[0, dxLength) = 0, then dx[arg[i]] += dy[i] for i < n, in order. */
export function maxPoolBackward(dy: Float32Array, arg: Int32Array, dx: Float32Array, n: number, dxLength: number): void {
  dx.fill(0, 0, dxLength);
  for (let i = 0; i < n; i++) dx[arg[i]] += dy[i];
}
