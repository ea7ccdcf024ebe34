/**
 * Tiny GAN fixtures: 8x8 grayscale images (a bright 3x3 square at a random
 * place on a dark background, 0..255) as IDX bytes, and small generator and
 * discriminator specs for them (a latent vector of 8 → [8, 8, 1] in [-1, 1]).
 */
import { createHash } from 'node:crypto';
import type { PrismaClient } from '../../src/db/generated/client.ts';
import { createDataset } from '../../src/db/repos/datasets.ts';
import { Rng } from '../../src/engine/rng.ts';
import { idxBytes } from './datasets.ts';

export const LATENT = 8;

export function squares(count: number, seed = 1): { x: Uint8Array; y: Uint8Array } {
  const rng = new Rng(seed);
  const x = new Uint8Array(count * 64);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const r = Math.floor(rng.uniform(0, 1) * 6);
    const c = Math.floor(rng.uniform(0, 1) * 6);
    for (let p = 0; p < 64; p++) x[i * 64 + p] = Math.floor(rng.uniform(0, 1) * 30);
    for (let dr = 0; dr < 3; dr++) for (let dc = 0; dc < 3; dc++) x[i * 64 + (r + dr) * 8 + c + dc] = 200 + Math.floor(rng.uniform(0, 1) * 55);
    y[i] = (r * 6 + c) % 10;
  }
  return { x, y };
}

/** IDX parts of `count` 8x8x1 images and their (ignored) labels. */
export function squaresIdx(count: number, seed = 1): { x: Uint8Array; y: Uint8Array } {
  const { x, y } = squares(count, seed);
  return { x: idxBytes('u8', [count, 8, 8, 1], x), y: idxBytes('u8', [count], y) };
}

export async function storeSquares(prisma: PrismaClient, tenantId: string, count = 192): Promise<string> {
  const { x, y } = squaresIdx(count);
  const ds = await createDataset(prisma, {
    tenantId,
    name: `squares-${count}`,
    format: 'idx',
    options: {},
    sampleShape: [8, 8, 1],
    labelShape: [],
    sampleCount: count,
    numClasses: 10,
    classCounts: null,
    sha256: createHash('sha256').update(x).update(y).digest('hex'),
    parts: { x: [x], y: [y] },
  });
  return ds.id;
}

export const generatorSpec = () => ({
  inputShape: [LATENT],
  layers: [
    { type: 'dense', units: 32, activation: 'relu' },
    { type: 'dense', units: 64, activation: 'tanh' },
    { type: 'reshape', targetShape: [8, 8, 1] },
  ],
});

export const discriminatorSpec = () => ({
  inputShape: [8, 8, 1],
  layers: [
    { type: 'flatten' },
    { type: 'dense', units: 32, activation: 'leakyRelu' },
    { type: 'dense', units: 1 },
  ],
});
