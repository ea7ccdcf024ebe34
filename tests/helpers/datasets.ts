/** Small data sets for job tests, stored straight through the repository (the upload route has its own tests). */
import { createHash } from 'node:crypto';
import type { PrismaClient } from '../../src/db/generated/client.ts';
import { createDataset } from '../../src/db/repos/datasets.ts';
import { Rng } from '../../src/engine/rng.ts';

/** IDX bytes (big-endian header) for a ubyte or float array. */
export function idxBytes(dtype: 'u8' | 'f32', shape: number[], values: ArrayLike<number>): Uint8Array {
  const code = dtype === 'u8' ? 0x08 : 0x0d;
  const head = 4 + 4 * shape.length;
  const width = dtype === 'u8' ? 1 : 4;
  const out = new Uint8Array(head + values.length * width);
  const dv = new DataView(out.buffer);
  out[2] = code;
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'u8') out[head + i] = values[i];
    else dv.setFloat32(head + 4 * i, values[i], false);
  }
  return out;
}

/** `count` samples of `features` floats in `classes` separable clusters. */
export function blobs(count: number, features: number, classes: number, seed = 1): { x: Float32Array; y: Uint8Array } {
  const rng = new Rng(seed);
  const centers = Array.from({ length: classes }, () => Array.from({ length: features }, () => rng.normal(0, 2)));
  const x = new Float32Array(count * features);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % classes;
    y[i] = c;
    for (let f = 0; f < features; f++) x[i * features + f] = centers[c][f] + rng.normal(0, 0.5);
  }
  return { x, y };
}

export async function storeBlobs(prisma: PrismaClient, tenantId: string, opts: { count?: number; features?: number; classes?: number; seed?: number } = {}): Promise<string> {
  const count = opts.count ?? 240;
  const features = opts.features ?? 8;
  const classes = opts.classes ?? 3;
  const { x, y } = blobs(count, features, classes, opts.seed);
  const xb = idxBytes('f32', [count, features], x);
  const yb = idxBytes('u8', [count], y);
  const classCounts = Array.from({ length: classes }, (_, c) => y.filter((v) => v === c).length);
  const ds = await createDataset(prisma, {
    tenantId,
    name: `blobs-${count}x${features}`,
    format: 'idx',
    options: {},
    sampleShape: [features],
    labelShape: [],
    sampleCount: count,
    numClasses: classes,
    classCounts,
    sha256: createHash('sha256').update(xb).update(yb).digest('hex'),
    parts: { x: [xb], y: [yb] },
  });
  return ds.id;
}

export const mlpSpec = (features = 8, classes = 3) => ({
  inputShape: [features],
  layers: [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dense', units: classes, activation: 'softmax' },
  ],
});
