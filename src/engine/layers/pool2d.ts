/**
 * 2-D max / average pooling over channels-last images (Keras `MaxPooling2D`,
 * `AveragePooling2D`): poolSize (int or [ph, pw], default 2), strides (default
 * poolSize), padding 'valid' | 'same' (TensorFlow's). Padding never takes part:
 * a max ignores it, and a 'same' average divides by the number of real pixels in
 * the window (Keras / TensorFlow; PyTorch's `count_include_pad=False`).
 * Direct loops (O(output · window), channels innermost); max pooling remembers
 * the winning input index of each output for the backward pass.
 */
import type { ConvGeometry } from '../kernels/im2col.ts';
import { BaseLayer } from './baseLayer.ts';
import { imageAxes, intPair, paddingField, type Padding } from './convFields.ts';
import type { FieldContext } from '../model/fields.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface Pool2dConfig extends LayerConfigBase {
  type: 'maxPooling2d' | 'averagePooling2d';
  poolSize: [number, number];
  strides: [number, number];
  padding: Padding;
}

export function poolGeometry(inputShape: readonly number[], cfg: Pool2dConfig, ctx: FieldContext = { path: '' }): ConvGeometry {
  const [gh, gw] = imageAxes(inputShape, cfg.poolSize, cfg.strides, [1, 1], cfg.padding, cfg.type, ctx, 'poolSize');
  return {
    h: inputShape[0], w: inputShape[1], c: inputShape[2], kh: cfg.poolSize[0], kw: cfg.poolSize[1],
    sh: cfg.strides[0], sw: cfg.strides[1], dh: 1, dw: 1, padTop: gh.padBefore, padLeft: gw.padBefore, outH: gh.out, outW: gw.out,
  };
}

export function pool2dDef<T extends Pool2dConfig['type']>(type: T, create: (cfg: Pool2dConfig, index: number) => Pool2d): LayerDef<Pool2dConfig & { type: T }> {
  return {
    type,
    fields: ['poolSize', 'strides', 'padding'],
    parse(raw, ctx, name) {
      const poolSize = intPair(raw, 'poolSize', ctx, [2, 2]);
      return { type, name, poolSize, strides: intPair(raw, 'strides', ctx, poolSize), padding: paddingField(raw, ctx) };
    },
    outputShape(inputShape, cfg, ctx) {
      const g = poolGeometry(inputShape, cfg, ctx);
      return [g.outH, g.outW, g.c];
    },
    paramDecls: () => [],
    flops(inputShape, cfg) {
      const g = poolGeometry(inputShape, cfg);
      return g.outH * g.outW * g.c * g.kh * g.kw;
    },
    create,
  };
}

export class Pool2d extends BaseLayer<Pool2dConfig> {
  private g!: ConvGeometry;
  private readonly y = this.scratch();
  private readonly dx = this.scratch();
  private argmax = new Int32Array(0);

  constructor(def: LayerDef<Pool2dConfig>, cfg: Pool2dConfig, index: number) {
    super(def, cfg, index);
  }

  private windowOffsets = new Int32Array(0);

  protected override onAttach(): void {
    const g = poolGeometry(this.inputShape, this.config);
    this.g = g;
    this.windowOffsets = new Int32Array(g.kh * g.kw);
    for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) this.windowOffsets[ky * g.kw + kx] = (ky * g.w + kx) * g.c;
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const n = batch * this.outSize;
    const y = this.y.get(n);
    if (this.config.type === 'maxPooling2d') {
      if (this.argmax.length < n) this.argmax = new Int32Array(n);
      this.maxForward(x, y, batch);
    } else {
      this.avgForward(x, y, batch);
    }
    return y;
  }

  private maxForward(x: Float32Array, y: Float32Array, batch: number): void {
    const { h, w, c, kh, kw, sh, sw, padTop, padLeft, outH, outW } = this.g;
    const arg = this.argmax;
    const img = h * w * c;
    // Offsets of a whole window from its top-left input, for windows fully inside the image.
    const offs = this.windowOffsets;
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

  private avgForward(x: Float32Array, y: Float32Array, batch: number): void {
    const { h, w, c, kh, kw, sh, sw, padTop, padLeft, outH, outW } = this.g;
    const img = h * w * c;
    let o = 0;
    for (let s = 0; s < batch; s++) {
      for (let oy = 0; oy < outH; oy++) {
        const y0 = Math.max(oy * sh - padTop, 0);
        const y1 = Math.min(oy * sh - padTop + kh, h);
        for (let ox = 0; ox < outW; ox++) {
          const x0 = Math.max(ox * sw - padLeft, 0);
          const x1 = Math.min(ox * sw - padLeft + kw, w);
          y.fill(0, o, o + c);
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const src = s * img + (iy * w + ix) * c;
              for (let ch = 0; ch < c; ch++) y[o + ch] += x[src + ch];
            }
          }
          const inv = 1 / ((y1 - y0) * (x1 - x0));
          for (let ch = 0; ch < c; ch++) y[o + ch] *= inv;
          o += c;
        }
      }
    }
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined;
    const dx = this.dx.get(batch * this.inSize);
    dx.fill(0);
    const n = batch * this.outSize;
    if (this.config.type === 'maxPooling2d') {
      const arg = this.argmax;
      for (let i = 0; i < n; i++) dx[arg[i]] += dy[i];
      return dx;
    }
    const { h, w, c, kh, kw, sh, sw, padTop, padLeft, outH, outW } = this.g;
    const img = h * w * c;
    let o = 0;
    for (let s = 0; s < batch; s++) {
      for (let oy = 0; oy < outH; oy++) {
        const y0 = Math.max(oy * sh - padTop, 0);
        const y1 = Math.min(oy * sh - padTop + kh, h);
        for (let ox = 0; ox < outW; ox++) {
          const x0 = Math.max(ox * sw - padLeft, 0);
          const x1 = Math.min(ox * sw - padLeft + kw, w);
          const inv = 1 / ((y1 - y0) * (x1 - x0));
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) {
              const dst = s * img + (iy * w + ix) * c;
              for (let ch = 0; ch < c; ch++) dx[dst + ch] += dy[o + ch] * inv;
            }
          }
          o += c;
        }
      }
    }
    return dx;
  }
}
