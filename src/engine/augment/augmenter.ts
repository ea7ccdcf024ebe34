/**
 * Applies an AugmentConfig to a batch of images in place, drawing from the given Rng (the
 * model's training stream), so a seeded run, and a run resumed from a checkpoint, replays
 * the same augmentations. Images are the model's input samples: [height, width, channels]
 * or [height, width] (one channel), row-major.
 *
 * Per sample, in this order of draws: horizontal flip, vertical flip, crop offset (y, x),
 * translation (y, x), rotation angle; then the noise of every value. The geometric part is
 * one inverse mapping, output(y, x) = input(flip⁻¹(rotate⁻¹((y, x) − shift))), sampled
 * bilinearly with 0 outside the image. Without rotation it is an exact pixel copy.
 * Buffers are allocated once per augmenter (no per-batch allocation).
 */
import { SpecError } from '../errors.ts';
import { describeShape } from '../model/describe.ts';
import type { Rng } from '../rng.ts';
import type { AugmentConfig } from './augmentConfig.ts';

export class Augmenter {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  private readonly maxShift: [number, number];
  private readonly sample: Float32Array;

  constructor(readonly config: AugmentConfig, sampleShape: readonly number[], path = 'augment') {
    if (sampleShape.length !== 2 && sampleShape.length !== 3) {
      throw new SpecError(path, `needs image inputs [height, width] or [height, width, channels]; the model's input shape is ${describeShape(sampleShape)}`);
    }
    this.h = sampleShape[0];
    this.w = sampleShape[1];
    this.c = sampleShape.length === 3 ? sampleShape[2] : 1;
    const px = (v: number, size: number): number => (v < 1 ? Math.floor(v * size) : v);
    this.maxShift = [px(config.translate[0], this.h), px(config.translate[1], this.w)];
    this.sample = new Float32Array(this.h * this.w * this.c);
  }

  /** Augments samples 0..batch of `x` in place. */
  apply(x: Float32Array, batch: number, rng: Rng): void {
    const cfg = this.config;
    const size = this.h * this.w * this.c;
    const p = cfg.cropPadding;
    const [ty, tx] = this.maxShift;
    for (let s = 0; s < batch; s++) {
      const flipH = cfg.flipHorizontal && rng.float() < 0.5;
      const flipV = cfg.flipVertical && rng.float() < 0.5;
      let dy = 0;
      let dx = 0;
      if (p > 0) {
        dy += rng.int(2 * p + 1) - p;
        dx += rng.int(2 * p + 1) - p;
      }
      if (ty > 0) dy += rng.int(2 * ty + 1) - ty;
      if (tx > 0) dx += rng.int(2 * tx + 1) - tx;
      const angle = cfg.rotate > 0 ? rng.uniform(-cfg.rotate, cfg.rotate) * Math.PI / 180 : 0;
      const img = x.subarray(s * size, (s + 1) * size);
      if (flipH || flipV || dy !== 0 || dx !== 0 || angle !== 0) {
        this.sample.set(img);
        if (angle === 0) this.shiftFlip(img, dy, dx, flipH, flipV);
        else this.affine(img, dy, dx, flipH, flipV, angle);
      }
      if (cfg.noise > 0) for (let i = 0; i < size; i++) img[i] += rng.normal(0, cfg.noise);
    }
  }

  /** Exact: output(y, x) = input(flip(y − dy, x − dx)). */
  private shiftFlip(out: Float32Array, dy: number, dx: number, flipH: boolean, flipV: boolean): void {
    const { h, w, c, sample } = this;
    for (let y = 0; y < h; y++) {
      let sy = y - dy;
      if (flipV) sy = h - 1 - sy;
      for (let x = 0; x < w; x++) {
        let sx = x - dx;
        if (flipH) sx = w - 1 - sx;
        const o = (y * w + x) * c;
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
          for (let ch = 0; ch < c; ch++) out[o + ch] = 0;
        } else {
          const src = (sy * w + sx) * c;
          for (let ch = 0; ch < c; ch++) out[o + ch] = sample[src + ch];
        }
      }
    }
  }

  /** Rotation by `angle` (radians, counter-clockwise on screen) about the centre, then the shift; bilinear, 0 outside. */
  private affine(out: Float32Array, dy: number, dx: number, flipH: boolean, flipV: boolean, angle: number): void {
    const { h, w, c, sample } = this;
    const cy = (h - 1) / 2;
    const cx = (w - 1) / 2;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const at = (yy: number, xx: number, ch: number): number => (yy < 0 || yy >= h || xx < 0 || xx >= w ? 0 : sample[(yy * w + xx) * c + ch]);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const ry = y - dy - cy;
        const rx = x - dx - cx;
        let fy = cy + cos * ry - sin * rx;
        let fx = cx + sin * ry + cos * rx;
        if (flipV) fy = h - 1 - fy;
        if (flipH) fx = w - 1 - fx;
        const y0 = Math.floor(fy);
        const x0 = Math.floor(fx);
        const wy = fy - y0;
        const wx = fx - x0;
        const o = (y * w + x) * c;
        for (let ch = 0; ch < c; ch++) {
          out[o + ch] = (1 - wy) * ((1 - wx) * at(y0, x0, ch) + wx * at(y0, x0 + 1, ch))
            + wy * ((1 - wx) * at(y0 + 1, x0, ch) + wx * at(y0 + 1, x0 + 1, ch));
        }
      }
    }
  }
}
