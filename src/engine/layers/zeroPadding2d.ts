/**
 * ZeroPadding2D (Keras): adds rows and columns of zeros around a channels-last image.
 * `padding` (default 1): an int (all sides), [ph, pw] (top = bottom = ph, left = right = pw),
 * or [[top, bottom], [left, right]].
 */
import { describeValue } from '../model/describe.ts';
import { fail, type FieldContext } from '../model/fields.ts';
import { BaseLayer } from './baseLayer.ts';
import { requireImage } from './convFields.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext } from './types.ts';

export interface ZeroPadding2dConfig extends LayerConfigBase {
  type: 'zeroPadding2d';
  /** [[top, bottom], [left, right]] */
  padding: [[number, number], [number, number]];
}

function parsePadding(v: unknown, ctx: FieldContext): [[number, number], [number, number]] {
  const nat = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0;
  if (v === undefined || v === null) return [[1, 1], [1, 1]];
  if (nat(v)) return [[v, v], [v, v]];
  if (Array.isArray(v) && v.length === 2) {
    if (nat(v[0]) && nat(v[1])) return [[v[0], v[0]], [v[1], v[1]]];
    const pair = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && nat(p[0]) && nat(p[1]);
    if (pair(v[0]) && pair(v[1])) return [[v[0][0], v[0][1]], [v[1][0], v[1][1]]];
  }
  return fail(ctx, 'padding', `must be a non-negative integer, [rows, cols] or [[top, bottom], [left, right]], got ${describeValue(v)}`);
}

export const zeroPadding2dDef: LayerDef<ZeroPadding2dConfig> = {
  type: 'zeroPadding2d',
  fields: ['padding'],
  parse: (raw, ctx, name) => ({ type: 'zeroPadding2d', name, padding: parsePadding(raw.padding, ctx) }),
  outputShape(inputShape, cfg, ctx) {
    const [h, w, c] = requireImage(inputShape, 'zeroPadding2d', ctx);
    const [[t, b], [l, r]] = cfg.padding;
    return [h + t + b, w + l + r, c];
  },
  paramDecls: () => [],
  flops: () => 0,
  create: (cfg, index) => new ZeroPadding2d(cfg, index),
};

export class ZeroPadding2d extends BaseLayer<ZeroPadding2dConfig> {
  private readonly y = this.scratch();
  private readonly dx = this.scratch();

  constructor(cfg: ZeroPadding2dConfig, index: number) {
    super(zeroPadding2dDef, cfg, index);
  }

  /** Copies each input row into (toOut) or out of the padded image. */
  private rows(src: Float32Array, dst: Float32Array, batch: number, toOut: boolean): void {
    const [h, w, c] = this.inputShape;
    const [ho, wo] = this.outputShape;
    const [[t], [l]] = this.config.padding;
    const rowLen = w * c;
    for (let s = 0; s < batch; s++) {
      for (let y = 0; y < h; y++) {
        const inner = s * h * rowLen + y * rowLen;
        const outer = s * ho * wo * c + ((y + t) * wo + l) * c;
        if (toOut) dst.set(src.subarray(inner, inner + rowLen), outer);
        else dst.set(src.subarray(outer, outer + rowLen), inner);
      }
    }
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const y = this.y.get(batch * this.outSize);
    y.fill(0);
    this.rows(x, y, batch, true);
    return y;
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined;
    const dx = this.dx.get(batch * this.inSize);
    this.rows(dy, dx, batch, false);
    return dx;
  }
}
