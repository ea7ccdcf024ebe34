/** Shared helpers for the layer / model / fit tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Sequential } from '../../../src/engine/model/Sequential.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/layers/', import.meta.url));

export type Nested = number | Nested[];

export function flat(a: Nested): number[] {
  return Array.isArray(a) ? (a as Nested[]).flat(Infinity as 1) as number[] : [a];
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as T;
}

export function setParam(model: Sequential, name: string, values: Nested): void {
  const p = model.params.find((q) => q.name === name);
  if (!p) throw new Error(`no parameter ${name}; have ${model.params.map((q) => q.name).join(', ')}`);
  const v = flat(values);
  if (v.length !== p.value.length) throw new Error(`${name}: ${v.length} values for ${p.value.length}`);
  p.value.set(v);
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} vs expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)})`);
    }
  }
}

/**
 * Central finite differences of the model's loss with respect to sampled elements of every
 * parameter, against the analytic gradient. The training Rng is restored before every
 * evaluation so dropout draws the same mask each time.
 */
export function checkGradients(model: Sequential, x: Float32Array, y: Float32Array, batch: number, opts: { eps?: number; rtol?: number; atol?: number; samples?: number; training?: boolean } = {}): number {
  const { eps = 1e-3, rtol = 2e-2, atol = 2e-4, samples = 12, training = true } = opts;
  const rngState = model.trainRng.getState();
  const loss = (): number => {
    model.trainRng.setState(rngState);
    return model.computeGradients(x, y, batch, null, training);
  };
  loss();
  const analytic = model.params.map((p) => Float64Array.from(p.grad));
  let checked = 0;
  model.params.forEach((p, pi) => {
    const n = p.value.length;
    const step = Math.max(1, Math.floor(n / samples));
    for (let i = 0; i < n; i += step) {
      const orig = p.value[i];
      p.value[i] = orig + eps;
      const up = loss();
      p.value[i] = orig - eps;
      const down = loss();
      p.value[i] = orig;
      const h = Math.fround(orig + eps) - Math.fround(orig - eps);
      const numeric = (up - down) / h;
      const a = analytic[pi][i];
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        throw new Error(`${p.name}[${i}]: analytic ${a} vs numeric ${numeric}`);
      }
      checked++;
    }
  });
  model.trainRng.setState(rngState);
  return checked;
}
