/**
 * 2-D max / average pooling over channels-last images (Keras `MaxPooling2D`,
 * `AveragePooling2D`): poolSize (int or [ph, pw], default 2), strides (default
 * poolSize), padding 'valid' | 'same' (TensorFlow's). Padding never takes part:
 * a max ignores it, and a 'same' average divides by the number of real pixels in
 * the window (Keras / TensorFlow; PyTorch's `count_include_pad=False`).
 * Direct loops (O(output · window), channels innermost); max pooling remembers
 * the winning input index of each output for the backward pass (kernels/maxPool.ts, in
 * WebAssembly with the default kernels).
 */
import type { ConvGeometry } from '../kernels/im2col.ts';
import { BaseLayer } from './baseLayer.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv, type MatmulKernelSet } from './layerEnv.ts';
import { maxPoolBackward, maxPoolForward } from '../kernels/maxPool.ts';
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

export function pool2dDef<T extends Pool2dConfig['type']>(type: T, create: (cfg: Pool2dConfig, index: number, env?: LayerEnv) => Pool2d): LayerDef<Pool2dConfig & { type: T }> {
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
  private argmax: Int32Array = new Int32Array(0);

  private readonly kernels: MatmulKernelSet;

  constructor(def: LayerDef<Pool2dConfig>, cfg: Pool2dConfig, index: number, private readonly env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(def, cfg, index);
    this.kernels = env.kernels;
  }

  protected override onAttach(): void {
    this.g = poolGeometry(this.inputShape, this.config);
  }

  /** The winners' indices, in the model's memory when it has one (the wasm kernels read them in place). */
  private allocateIndices(n: number): Int32Array {
    if (!this.env.allocate) return new Int32Array(n);
    const f = this.env.allocate(n);
    return new Int32Array(f.buffer, f.byteOffset, n);
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const n = batch * this.outSize;
    const y = this.y.get(n);
    if (this.config.type === 'maxPooling2d') {
      if (this.argmax.length < n) this.argmax = this.allocateIndices(n);
      (this.kernels.maxPoolForward ?? maxPoolForward)(x, y, this.argmax, batch, this.g);
    } else {
      this.avgForward(x, y, batch);
    }
    return y;
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
    const n = batch * this.outSize;
    if (this.config.type === 'maxPooling2d') {
      (this.kernels.maxPoolBackward ?? maxPoolBackward)(dy, this.argmax, dx, n, batch * this.inSize);
      return dx;
    }
    dx.fill(0);
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
