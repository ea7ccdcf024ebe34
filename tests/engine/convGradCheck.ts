/**
 * Finite-difference helpers for the conv / pooling / normalization tests: parameter
 * gradients through a loss (the shared `checkGradients`), and the INPUT gradient of a
 * whole model for L = Σ y·r with a fixed random r (so every layer's dx is checked,
 * including the first one's, which training never computes).
 */
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { Rng } from '../../src/engine/rng.ts';
import { checkGradients } from './helpers/modelHelpers.ts';

export function randn(seed: number, n: number, scale = 1): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal() * scale);
}

export function checkInputGradient(model: Sequential, x: Float32Array, batch: number, training: boolean, opts: { eps?: number; rtol?: number; atol?: number; samples?: number } = {}): number {
  const { eps = 1e-2, rtol = 2e-2, atol = 5e-4, samples = 40 } = opts;
  const r = randn(99, batch * model.outputSize);
  const state = model.trainRng.getState();
  const loss = (): number => {
    model.trainRng.setState(state);
    const y = model.forward(x, batch, training);
    let s = 0;
    for (let i = 0; i < r.length; i++) s += y[i] * r[i];
    return s;
  };
  loss();
  let dy: Float32Array | undefined = Float32Array.from(r);
  for (let i = model.layers.length - 1; i >= 0; i--) dy = model.layers[i].backward(dy as Float32Array, batch, true);
  const analytic = Float64Array.from(dy as Float32Array);
  const step = Math.max(1, Math.floor(x.length / samples));
  let checked = 0;
  for (let i = 0; i < x.length; i += step) {
    const orig = x[i];
    x[i] = orig + eps;
    const up = loss();
    x[i] = orig - eps;
    const down = loss();
    x[i] = orig;
    const numeric = (up - down) / (Math.fround(orig + eps) - Math.fround(orig - eps));
    if (!(Math.abs(analytic[i] - numeric) <= atol + rtol * Math.abs(numeric))) {
      throw new Error(`dx[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
    }
    checked++;
  }
  model.trainRng.setState(state);
  return checked;
}

/** Parameter gradients (mse loss) and input gradients of `spec` by finite differences. */
export function gradCheckSpec(spec: { inputShape: number[]; layers: object[] }, batch: number, opts: { training?: boolean; seed?: number } = {}): void {
  const { training = true, seed = 3 } = opts;
  const model = Sequential.fromSpec(spec, { seed: 11 });
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const inSize = spec.inputShape.reduce((a, b) => a * b, 1);
  const x = randn(seed, batch * inSize);
  const y = randn(seed + 1, batch * model.outputSize);
  if (model.params.length > 0) assert.ok(checkGradients(model, x, y, batch, { training, eps: 1e-2, atol: 5e-4 }) > 0);
  assert.ok(checkInputGradient(model, x, batch, training) > 0);
}
