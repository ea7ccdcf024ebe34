/** Shared by the GAN tests: a tiny conv GAN (batch norm in both networks, dropout in D) on 4x4 images. */
import type { GanOptions } from '../../src/engine/gan/GanTrainer.ts';
import { Rng } from '../../src/engine/rng.ts';

/** A GAN with batch norm in both networks and dropout in D, on 4x4 "images". */
export function convOptions(seed = 5, dSteps = 1): GanOptions {
  return {
    generator: {
      inputShape: [4],
      layers: [
        { type: 'dense', units: 16 },
        { type: 'batchNormalization' },
        { type: 'activation', activation: 'relu' },
        { type: 'reshape', targetShape: [2, 2, 4] },
        { type: 'conv2dTranspose', filters: 1, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' },
      ],
    },
    discriminator: {
      inputShape: [4, 4, 1],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'leakyRelu' },
        { type: 'batchNormalization' },
        { type: 'flatten' },
        { type: 'dropout', rate: 0.25 },
        { type: 'dense', units: 1, activation: 'sigmoid' },
      ],
    },
    dSteps,
    seed,
    fixedSamples: 6,
    generatorOptimizer: { type: 'adam', learningRate: 0.01, beta1: 0.5 },
    discriminatorOptimizer: { type: 'adam', learningRate: 0.01, beta1: 0.5 },
  };
}

export function images(n: number, seed = 9): Float32Array {
  const r = new Rng(seed);
  const x = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) for (let p = 0; p < 16; p++) x[i * 16 + p] = Math.tanh((p % 4 === i % 4 ? 1 : -1) + 0.2 * r.normal());
  return x;
}

