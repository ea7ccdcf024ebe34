/**
 * Tiles generator samples into one 8-bit image grid (for a PNG): samples of
 * shape [h, w, c] (channels-last, c = 1, 3 or 4) or [h, w] (grayscale), values
 * mapped linearly from `range` to 0..255 (clamped), 1-pixel separators between
 * tiles.
 */
import { SpecError } from '../errors.ts';

export type SampleRange = readonly [number, number];

/** Layers whose outputs stay within the range of their inputs (shape changes, pooling, dropout, zero padding). */
const RANGE_PRESERVING = new Set(['reshape', 'flatten', 'dropout', 'upSampling2d', 'zeroPadding2d', 'maxPooling2d', 'averagePooling2d', 'globalAveragePooling2d', 'globalMaxPooling2d']);

/**
 * The value range of a generator's samples, from its last activation: [0, 1] for sigmoid,
 * [-1, 1] for tanh and anything else. Layers after it that keep values in range (a reshape
 * after a tanh, say) are looked through.
 */
export function generatorOutputRange(layers: ReadonlyArray<{ type: string; outputActivation?: string }>): [number, number] {
  for (let i = layers.length - 1; i >= 0; i--) {
    const act = layers[i].outputActivation;
    if (act !== undefined) return act === 'sigmoid' ? [0, 1] : [-1, 1];
    if (!RANGE_PRESERVING.has(layers[i].type)) break;
  }
  return [-1, 1];
}

export interface ImageGrid {
  width: number;
  height: number;
  channels: number;
  /** Row-major, interleaved channels, width·height·channels bytes. */
  data: Uint8Array;
}

export function tileSamples(
  samples: Float32Array, sampleShape: readonly number[], rows: number, cols: number, range: SampleRange, separator = 128,
): ImageGrid {
  let h: number, w: number, c: number;
  if (sampleShape.length === 2) [h, w, c] = [sampleShape[0], sampleShape[1], 1];
  else if (sampleShape.length === 3 && [1, 3, 4].includes(sampleShape[2])) [h, w, c] = [sampleShape[0], sampleShape[1], sampleShape[2]];
  else throw new SpecError('sampleGrid', `samples must be images [h, w] or [h, w, 1|3|4], got [${sampleShape.join(', ')}]`);
  const size = h * w * c;
  if (samples.length < rows * cols * size) throw new SpecError('sampleGrid', `${rows}x${cols} tiles need ${rows * cols} samples`);
  const width = cols * w + (cols - 1);
  const height = rows * h + (rows - 1);
  const data = new Uint8Array(width * height * c).fill(separator);
  const [lo, hi] = range;
  const scale = 255 / (hi - lo);
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      const s = (r * cols + q) * size;
      for (let y = 0; y < h; y++) {
        const row = ((r * (h + 1) + y) * width + q * (w + 1)) * c;
        for (let i = 0; i < w * c; i++) {
          const v = Math.round((samples[s + y * w * c + i] - lo) * scale);
          data[row + i] = v < 0 || Number.isNaN(v) ? 0 : v > 255 ? 255 : v;
        }
      }
    }
  }
  return { width, height, channels: c, data };
}
