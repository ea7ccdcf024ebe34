/**
 * Test helpers: a central finite-difference gradient check and closeness assertions.
 *
 * The check compares autograd's gradient of sum(f(inputs) · w) (w a fixed random weight
 * of the output's shape, so every output element matters) with central differences. The
 * engine computes in float32, so the differences use a fairly large step and the weighted
 * sum is accumulated in float64.
 */
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.ts';
import { Tensor } from '../../src/engine/tensor/tensor.ts';
import { noGrad } from '../../src/engine/tensor/gradMode.ts';

export interface GradCheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Which inputs to check (default: every input that requires grad). */
  check?: boolean[];
  seed?: number;
}

function weightedSum(out: Tensor, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * w[i];
  return s;
}

export function gradCheck(
  name: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradCheckOptions = {},
): void {
  const { eps = 1e-2, atol = 2e-3, rtol = 2e-2, seed = 7 } = options;
  const rng = new Rng(seed);
  const out0 = f(...inputs);
  const w = new Float64Array(out0.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-1, 1);
  for (const x of inputs) x.grad = null;
  const weights = Tensor.from(w, out0.shape);
  out0.mul(weights).sum().backward();
  inputs.forEach((x, k) => {
    const wanted = options.check?.[k] ?? x.requiresGrad;
    if (!wanted) return;
    assert.ok(x.grad, `${name}: input ${k} received no gradient`);
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const up = noGrad(() => weightedSum(f(...inputs), w));
      x.data[i] = orig - eps;
      const down = noGrad(() => weightedSum(f(...inputs), w));
      x.data[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const analytic = x.grad.data[i];
      assert.ok(
        Math.abs(numeric - analytic) <= atol + rtol * Math.abs(numeric),
        `${name}: d/d input${k}[${i}] autograd ${analytic} vs finite difference ${numeric}`,
      );
    }
  });
}

export function assertClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, message: string, atol = 1e-5, rtol = 1e-4,
): void {
  assert.equal(actual.length, expected.length, `${message}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    assert.ok(
      Math.abs(a - e) <= atol + rtol * Math.abs(e),
      `${message}: element ${i} is ${a}, expected ${e}`,
    );
  }
}

/** A random leaf (requires grad) with values uniform in [low, high). */
export function randLeaf(shape: number[], rng: Rng, low = -2, high = 2): Tensor {
  return Tensor.uniform(shape, rng, low, high, { requiresGrad: true });
}

/** A random leaf with |values| in [low, high) and random signs (away from kinks at 0). */
export function randAwayFromZero(shape: number[], rng: Rng, low = 0.2, high = 2): Tensor {
  const t = Tensor.uniform(shape, rng, low, high, { requiresGrad: true });
  for (let i = 0; i < t.size; i++) if (rng.float() < 0.5) t.data[i] = -t.data[i];
  return t;
}
