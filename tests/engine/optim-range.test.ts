/**
 * Range stepping (for data-parallel updates split over threads): beginRangeStep + updateRange
 * over any split of the parameters laid end to end gives exactly step()'s result, with the
 * slots moved into shared arrays by shareSlots and used by a second optimizer through
 * attachSlots. Clip-by-norm optimizers refuse (they need the whole gradient first).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, createOptimizer, sharedFloat32, type Parameter } from '../../src/engine/index.ts';

function params(seed: number): Parameter[] {
  const r = new Rng(seed);
  const mk = (name: string, n: number, decay?: boolean): Parameter => ({
    name, shape: [n], value: new Float32Array(n).map(() => r.normal()), grad: new Float32Array(n), ...(decay === undefined ? {} : { decay }),
  });
  return [mk('layers.0.weight', 37), mk('layers.0.bias', 5, false), mk('layers.1.weight', 22)];
}

function fillGrads(ps: Parameter[], r: Rng): void {
  for (const p of ps) for (let i = 0; i < p.grad.length; i++) p.grad[i] = r.normal();
}

const CONFIGS = [
  { type: 'adam', learningRate: 0.01 },
  { type: 'adam', learningRate: 0.01, amsgrad: true, weightDecay: 0.1 },
  { type: 'adamw', learningRate: 0.01 },
  { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true, clipvalue: 0.5 },
  { type: 'rmsprop', learningRate: 0.01, centered: true, momentum: 0.5 },
  { type: 'adagrad', learningRate: 0.1 },
  { type: 'adam', learningRate: { type: 'exponentialDecay', initialLearningRate: 0.01, decaySteps: 2, decayRate: 0.5 } },
];

for (const config of CONFIGS) {
  test(`range steps over two optimizers on shared slots equal step(): ${JSON.stringify(config)}`, () => {
    const a = params(1);
    const b = params(1);
    const oa = createOptimizer(config);
    const ob = createOptimizer(config);
    const helper = createOptimizer(config);
    const ra = new Rng(7);
    const rb = new Rng(7);
    fillGrads(a, ra);
    fillGrads(b, rb);
    oa.step(a);
    ob.step(b); // a first plain step: shareSlots must carry existing state over
    helper.attachSlots?.(ob.shareSlots?.(b, sharedFloat32) ?? {});
    for (let s = 0; s < 5; s++) {
      fillGrads(a, ra);
      fillGrads(b, rb);
      oa.step(a);
      const plan = ob.beginRangeStep?.();
      assert.ok(plan);
      const total = 64;
      const cut = 11 + s * 9;
      ob.updateRange?.(b, plan.lr, plan.t, 0, cut);
      helper.updateRange?.(b, plan.lr, plan.t, cut, total);
    }
    for (let k = 0; k < a.length; k++) assert.deepEqual(b[k].value, a[k].value, a[k].name);
    assert.deepEqual(ob.getState().slots, oa.getState().slots);
    assert.equal(ob.getState().step, oa.getState().step);
  });
}

test('clip-by-norm optimizers refuse range steps', () => {
  assert.equal(createOptimizer({ type: 'adam', clipnorm: 1 }).beginRangeStep?.(), null);
  assert.equal(createOptimizer({ type: 'sgd', globalClipnorm: 1 }).beginRangeStep?.(), null);
});
