/**
 * Predictions of a GAN job: the generator (built from the job's
 * `spec.generator`, with one checkpoint's generator weights) run on latent
 * vectors, either given (`latents`, each `latentDim` long) or drawn from a
 * standard normal with a seed (`count`, `seed`; a seed is chosen and returned
 * when none is given, so any answer can be reproduced). Samples come back as
 * numbers in the generator's output range, or tiled into a PNG grid.
 */
import { randomInt } from 'node:crypto';
import { Rng, generatorOutputRange, tileSamples, type Sequential } from '../../engine/index.ts';
import { AppError } from '../../shared/errors.ts';
import { encodePng } from '../../shared/png.ts';
import { isImageShape } from '../../shared/gan-config.ts';
import { MAX_PREDICT_SAMPLES } from './prediction-inputs.ts';
import { nest, type Nested } from './predictor.ts';
import { toJsonNumber, type JsonNumber } from './json-number.ts';

export interface Latents {
  count: number;
  data: Float32Array;
  /** The seed they were drawn with (absent when the request gave them). */
  seed?: number;
}

/** The latent vectors of a request: exactly one of `latents` or `count` (with an optional `seed`). */
export function readLatents(body: { latents?: unknown[]; count?: number; seed?: number }, latentDim: number): Latents {
  if ((body.latents === undefined) === (body.count === undefined)) {
    throw new AppError('invalid_data', 'body: a gan job predicts from exactly one of "latents" (vectors of latentDim numbers) or "count" (random latent vectors, with an optional "seed")');
  }
  if (body.latents !== undefined) {
    if (body.seed !== undefined) throw new AppError('invalid_data', 'body/seed: only with "count" (given latents need no seed)');
    const n = body.latents.length;
    if (n > MAX_PREDICT_SAMPLES) throw new AppError('limit_exceeded', `latents hold ${n} vectors; at most ${MAX_PREDICT_SAMPLES} per request`);
    const data = new Float32Array(n * latentDim);
    body.latents.forEach((v, i) => {
      if (!Array.isArray(v) || v.length !== latentDim) {
        throw new AppError('invalid_data', `body/latents/${i} must be an array of latentDim = ${latentDim} numbers, got ${Array.isArray(v) ? `${v.length}` : typeof v}`);
      }
      v.forEach((x, k) => {
        if (typeof x !== 'number') throw new AppError('validation_failed', `body/latents/${i}/${k} must be a number`);
        data[i * latentDim + k] = x;
      });
    });
    return { count: n, data };
  }
  const count = body.count!;
  const seed = body.seed ?? randomInt(0, 2 ** 32 - 1);
  const rng = new Rng(seed);
  const data = new Float32Array(count * latentDim);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { count, data, seed };
}

/** The generator's output range, as the engine's GanTrainer decides it. */
export function generatorRange(generator: Sequential): [number, number] {
  return generatorOutputRange(generator.layers);
}

export interface GanPrediction {
  samples: { data: Float32Array; shape: number[] };
  range: [number, number];
}

export function generate(generator: Sequential, latents: Latents): GanPrediction {
  const out = generator.predict({ data: latents.data, shape: [latents.count, ...generator.inputShape] }, { batchSize: 256 });
  return { samples: { data: out.data, shape: [...out.shape] }, range: generatorRange(generator) };
}

export function predictionJson(p: GanPrediction, latents: Latents): { outputs: Nested<JsonNumber>[]; latents: Nested<JsonNumber>[]; seed?: number; sampleRange: [number, number] } {
  return {
    outputs: nest(p.samples.data, p.samples.shape, toJsonNumber),
    latents: nest(latents.data, [latents.count, latents.data.length / latents.count], toJsonNumber),
    ...(latents.seed !== undefined ? { seed: latents.seed } : {}),
    sampleRange: p.range,
  };
}

/** The samples tiled in ceil(sqrt(n)) columns (a last row that is not full is padded with the range's low value). */
export function predictionPng(p: GanPrediction): Uint8Array {
  const sampleShape = p.samples.shape.slice(1);
  if (!isImageShape(sampleShape)) {
    throw new AppError('no_samples', `samples of shape [${sampleShape.join(', ')}] are not images ([h, w] or [h, w, 1|3|4]); ask for JSON`);
  }
  const n = p.samples.shape[0];
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const size = p.samples.data.length / n;
  const padded = new Float32Array(rows * cols * size).fill(p.range[0]);
  padded.set(p.samples.data);
  const grid = tileSamples(padded, sampleShape, rows, cols, p.range);
  return encodePng({ width: grid.width, height: grid.height, channels: grid.channels as 1 | 3 | 4, data: grid.data });
}
