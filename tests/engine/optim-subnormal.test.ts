/**
 * Decaying optimizer state is stored as +0 instead of subnormal floats (optim/subnormal.ts):
 * a weight whose gradient stays 0 must not leave Adam's moments, a momentum buffer or
 * RMSprop's averages in the range Intel cores handle by a slow microcode path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOptimizer, type Parameter } from '../../src/engine/index.ts';
import { flushSubnormal, MIN_NORMAL_F32 } from '../../src/engine/optim/subnormal.ts';

const isSubnormal = (x: number): boolean => x !== 0 && Math.abs(x) < MIN_NORMAL_F32;

test('flushSubnormal: +0 under 2^-126 in magnitude, everything else unchanged', () => {
  assert.ok(Object.is(flushSubnormal(1e-39), 0));
  assert.ok(Object.is(flushSubnormal(-1e-39), 0));
  assert.ok(Object.is(flushSubnormal(-0), 0));
  for (const x of [MIN_NORMAL_F32, -MIN_NORMAL_F32, 1e-30, 0.5, -3, Infinity, -Infinity]) assert.equal(flushSubnormal(x), x);
  assert.ok(Number.isNaN(flushSubnormal(Number.NaN)));
});

for (const config of [
  { type: 'adam' },
  { type: 'adamw', weightDecay: 0.01 },
  { type: 'sgd', momentum: 0.9 },
  { type: 'sgd', momentum: 0.9, nesterov: true },
  { type: 'rmsprop', rho: 0.9, momentum: 0.9, centered: true },
]) {
  test(`${JSON.stringify(config)}: state decaying under a zero gradient becomes +0, not subnormal`, () => {
    const n = 9;
    const p: Parameter = { name: 'w', shape: [n], value: new Float32Array(n).fill(0.25), grad: new Float32Array(n) };
    const opt = createOptimizer({ ...config, learningRate: 1e-3 });
    const slots = opt.shareSlots?.([p], (k) => new Float32Array(k));
    assert.ok(slots && Object.keys(slots).length > 0, 'the optimizer has state');
    // Every state value one decay step from the subnormal range, or in it already.
    for (const s of Object.values(slots)) s.set([1.1757e-38, -1.1757e-38, 1.18e-38, 5e-39, -5e-39, 1e-45, 1.176e-38, 1.1756e-38, 2e-39].map((x) => (s === slots.exp_avg_sq || s === slots.square_avg ? Math.abs(x) : x)));
    for (let t = 0; t < 3; t++) opt.step([p]);
    for (const [key, s] of Object.entries(slots)) {
      assert.deepEqual(Array.from(s).filter(isSubnormal), [], `${key} holds no subnormal value`);
    }
    assert.ok(p.value.every((w) => Number.isFinite(w)));
  });
}
