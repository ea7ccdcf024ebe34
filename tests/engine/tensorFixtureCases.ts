/**
 * Loads tests/fixtures/autograd/autograd.json (made once with PyTorch by make_fixtures.py)
 * and checks an engine expression against one case: output values and the gradients of
 * sum(output · upstream) with respect to the differentiable inputs.
 */
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor/tensor.ts';
import { assertClose } from './tensorGradCheck.ts';

interface Encoded {
  shape: number[];
  data: number[];
}

interface FixtureCase {
  name: string;
  inputs: Encoded[];
  differentiable: boolean[];
  output: Encoded;
  upstream: Encoded;
  grads: (Encoded | null)[];
}

const file = new URL('../fixtures/autograd/autograd.json', import.meta.url);
const fixtures = JSON.parse(readFileSync(file, 'utf8')) as { cases: FixtureCase[] };

export function fixtureNames(prefix = ''): string[] {
  return fixtures.cases.map((c) => c.name).filter((n) => n.startsWith(prefix));
}

export function checkFixture(
  name: string, f: (...xs: Tensor[]) => Tensor, atol = 1e-5, rtol = 1e-4,
): void {
  const c = fixtures.cases.find((x) => x.name === name);
  assert.ok(c, `no fixture named ${name}`);
  const inputs = c.inputs.map((x, i) => Tensor.from(x.data, x.shape, { requiresGrad: c.differentiable[i] }));
  const out = f(...inputs);
  assert.deepEqual(out.shape, c.output.shape, `${name}: output shape`);
  assertClose(out.data, c.output.data, `${name}: output`, atol, rtol);
  out.mul(Tensor.from(c.upstream.data, c.upstream.shape)).sum().backward();
  c.grads.forEach((g, i) => {
    if (g === null) return;
    const grad = inputs[i].grad;
    assert.ok(grad, `${name}: input ${i} has no gradient`);
    assert.ok(grad.data.every(Number.isFinite), `${name}: gradient of input ${i} is not finite`);
    assertClose(grad.data, g.data, `${name}: gradient of input ${i}`, atol, rtol);
  });
}
