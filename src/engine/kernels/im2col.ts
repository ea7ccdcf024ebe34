/**
 * im2col / col2im for channels-last images ([sample, height, width, channels], row-major).
 *
 * `im2colRange` lowers a convolution to one matrix multiply: every output position of
 * every sample becomes a row of `col`, holding the receptive field it reads, ordered
 * (ky, kx, channel). Row `(s·outH + oy)·outW + ox`, column `(ky·kw + kx)·c + ch` is
 *   x[s, oy·sh − padTop + ky·dh, ox·sw − padLeft + kx·dw, ch]   (0 outside the image).
 * `col2imRange` is its adjoint: it ADDS every column entry back onto the pixel it came
 * from (the caller zeroes `dx` first), which is the input gradient of the convolution and
 * the forward pass of a transposed convolution.
 *
 * Range functions over samples [sampleStart, sampleEnd): each writes only its samples'
 * rows of `col` (resp. its samples' pixels of `dx`), so a caller may split a batch across
 * workers. Kernels trust their inputs; the layers validate shapes.
 */

export interface ConvGeometry {
  /** Input image (per sample): height, width, channels. */
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** Kernel size, strides, dilation. */
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  /** Zero padding before the first row / column (any padding after is implied by outH / outW). */
  readonly padTop: number;
  readonly padLeft: number;
  /** Output positions. */
  readonly outH: number;
  readonly outW: number;
}

export function im2colRange(x: Float32Array, g: ConvGeometry, col: Float32Array, sampleStart: number, sampleEnd: number): void {
  const { h, w, c, kh, kw, sh, sw, dh, dw, padTop, padLeft, outH, outW } = g;
  const kwc = kw * c;
  const imgSize = h * w * c;
  let o = sampleStart * outH * outW * kh * kwc;
  for (let s = sampleStart; s < sampleEnd; s++) {
    const xs = s * imgSize;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * sh - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * sw - padLeft;
        const ixLast = ix0 + (kw - 1) * dw;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) {
            col.fill(0, o, o + kwc);
            o += kwc;
            continue;
          }
          const rowBase = xs + iy * w * c;
          if (dw === 1 && ix0 >= 0 && ixLast < w) {
            // The whole kernel row is inside the image and contiguous: one copy.
            const src = rowBase + ix0 * c;
            for (let j = 0; j < kwc; j++) col[o + j] = x[src + j];
            o += kwc;
            continue;
          }
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix < 0 || ix >= w) {
              for (let ch = 0; ch < c; ch++) col[o + ch] = 0;
            } else {
              const src = rowBase + ix * c;
              for (let ch = 0; ch < c; ch++) col[o + ch] = x[src + ch];
            }
            o += c;
          }
        }
      }
    }
  }
}

/** dx[pixel] += every `col` entry that `im2colRange` copied from that pixel (entries from padding are dropped). */
export function col2imRange(col: Float32Array, g: ConvGeometry, dx: Float32Array, sampleStart: number, sampleEnd: number): void {
  const { h, w, c, kh, kw, sh, sw, dh, dw, padTop, padLeft, outH, outW } = g;
  const kwc = kw * c;
  const imgSize = h * w * c;
  let o = sampleStart * outH * outW * kh * kwc;
  for (let s = sampleStart; s < sampleEnd; s++) {
    const xs = s * imgSize;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * sh - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * sw - padLeft;
        const ixLast = ix0 + (kw - 1) * dw;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) {
            o += kwc;
            continue;
          }
          const rowBase = xs + iy * w * c;
          if (dw === 1 && ix0 >= 0 && ixLast < w) {
            const dst = rowBase + ix0 * c;
            for (let j = 0; j < kwc; j++) dx[dst + j] += col[o + j];
            o += kwc;
            continue;
          }
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix >= 0 && ix < w) {
              const dst = rowBase + ix * c;
              for (let ch = 0; ch < c; ch++) dx[dst + ch] += col[o + ch];
            }
            o += c;
          }
        }
      }
    }
  }
}
