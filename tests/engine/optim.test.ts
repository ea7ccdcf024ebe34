import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Adam, AdamW, Sgd, createOptimizer, createSchedule, normalizeOptimizerConfig,
  exponentialDecay, cosineDecay, piecewiseConstantDecay,
} from '../../src/engine/optim/index.ts';
import type { Parameter } from '../../src/engine/optim/index.ts';
import { SpecError } from '../../src/engine/errors.ts';

interface Fixture {
  shapes: Record<string, number[]>;
  init: Record<string, number[]>;
  grads: Record<string, number[]>[];
  cases: { name: string; config: Record<string, unknown>; steps: Record<string, number[]>[] }[];
}
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/optim/optim_fixtures.json', import.meta.url)), 'utf8'),
) as Fixture;

function makeParams(): Parameter[] {
  return Object.keys(fixture.shapes).map((name) => ({
    name,
    shape: fixture.shapes[name],
    value: Float32Array.from(fixture.init[name]),
    grad: new Float32Array(fixture.init[name].length),
  }));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-6, atol = 1e-7): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: got ${a}, expected ${e} (diff ${a - e})`);
  }
}

for (const c of fixture.cases) {
  test(`${c.name} matches PyTorch step by step`, () => {
    const opt = createOptimizer(c.config);
    const params = makeParams();
    c.steps.forEach((expected, s) => {
      for (const p of params) p.grad.set(fixture.grads[s][p.name]);
      opt.step(params);
      for (const p of params) assertClose(p.value, expected[p.name], `${c.name} step ${s + 1} ${p.name}`);
    });
  });

  test(`${c.name}: state round-trips into bit-identical training`, () => {
    const a = createOptimizer(c.config);
    const pa = makeParams();
    const run = (opt: typeof a, params: Parameter[], from: number, to: number): void => {
      for (let s = from; s < to; s++) {
        for (const p of params) p.grad.set(fixture.grads[s][p.name]);
        opt.step(params);
      }
    };
    run(a, pa, 0, 2);
    // Serialise through JSON as a checkpoint writer might.
    const st = a.getState();
    const json = JSON.parse(JSON.stringify({ ...st, slots: Object.fromEntries(Object.entries(st.slots).map(([k, v]) => [k, Array.from(v)])) }));
    const b = createOptimizer(c.config);
    b.setState({ ...json, slots: Object.fromEntries(Object.entries(json.slots as Record<string, number[]>).map(([k, v]) => [k, Float32Array.from(v)])) });
    const pb = pa.map((p) => ({ ...p, value: p.value.slice(), grad: p.grad.slice() }));
    run(a, pa, 2, 5);
    run(b, pb, 2, 5);
    for (let k = 0; k < pa.length; k++) assert.deepEqual(pb[k].value, pa[k].value);
    assert.equal(b.getState().step, 5);
  });
}

test('no allocation per step after the first: slot buffers are reused', () => {
  const opt = new Adam({ amsgrad: true });
  const params = makeParams();
  params[0].grad.fill(0.5);
  opt.step(params);
  const s1 = (opt as unknown as { slots: Map<string, Float32Array> }).slots;
  const before = [...s1.values()];
  opt.step(params);
  assert.deepEqual([...s1.keys()].sort(), ['b.exp_avg', 'b.exp_avg_sq', 'b.max_exp_avg_sq', 'w.exp_avg', 'w.exp_avg_sq', 'w.max_exp_avg_sq']);
  [...s1.values()].forEach((v, i) => assert.equal(v, before[i]));
});

test('decay: false exempts a parameter from AdamW weight decay', () => {
  const opt = new AdamW({ learningRate: 0.1, weightDecay: 0.5 });
  const p: Parameter = { name: 'bias', shape: [1], value: Float32Array.of(2), grad: Float32Array.of(0), decay: false };
  const q: Parameter = { name: 'kernel', shape: [1], value: Float32Array.of(2), grad: Float32Array.of(0) };
  opt.step([p, q]);
  assert.equal(p.value[0], 2);
  assert.equal(q.value[0], Math.fround(2 * (1 - 0.05)));
});

test('exponentialDecay matches the closed form, with and without staircase', () => {
  const s = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
  assert.equal(s(0), 0.1);
  assert.ok(Math.abs(s(10) - 0.05) < 1e-15);
  assert.ok(Math.abs(s(15) - 0.1 * Math.pow(0.5, 1.5)) < 1e-15);
  const st = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
  assert.equal(st(9), 0.1);
  assert.ok(Math.abs(st(25) - 0.025) < 1e-15);
});

test('cosineDecay matches the closed form, with alpha and warmup', () => {
  const s = cosineDecay({ initialLearningRate: 1, decaySteps: 100, alpha: 0.1 });
  assert.equal(s(0), 1);
  assert.ok(Math.abs(s(50) - (0.9 * 0.5 + 0.1)) < 1e-12);
  assert.ok(Math.abs(s(100) - 0.1) < 1e-12);
  assert.ok(Math.abs(s(1000) - 0.1) < 1e-12);
  const w = cosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 0.5, warmupSteps: 5 });
  assert.equal(w(0), 0);
  assert.ok(Math.abs(w(2) - 0.2) < 1e-12);
  assert.equal(w(5), 0.5);
  assert.ok(Math.abs(w(10) - 0.25) < 1e-12);
  assert.ok(Math.abs(w(15)) < 1e-12);
  assert.ok(Math.abs(w(99)) < 1e-12);
});

test('piecewiseConstantDecay uses Keras boundary semantics (step <= boundary)', () => {
  const s = piecewiseConstantDecay({ boundaries: [10, 20], values: [1, 0.5, 0.1] });
  assert.deepEqual([0, 10, 11, 20, 21, 1e6].map(s), [1, 1, 0.5, 0.5, 0.1, 0.1]);
});

test('a scheduled learning rate is evaluated at the step counter before each step', () => {
  const opt = createOptimizer({ type: 'sgd', learning_rate: { type: 'piecewise_constant_decay', boundaries: [0], values: [1, 0.5] } });
  const p: Parameter = { name: 'x', shape: [1], value: Float32Array.of(0), grad: Float32Array.of(1) };
  assert.equal(opt.learningRate, 1);
  opt.step([p]);
  assert.equal(p.value[0], -1);
  assert.equal(opt.learningRate, 0.5);
  opt.step([p]);
  assert.equal(p.value[0], -1.5);
});

test('clipnorm clips each parameter to the norm, Keras-style', () => {
  const opt = new Sgd({ learningRate: 1, clipnorm: 1 });
  const a: Parameter = { name: 'a', shape: [2], value: new Float32Array(2), grad: Float32Array.of(3, 4) };
  const b: Parameter = { name: 'b', shape: [2], value: new Float32Array(2), grad: Float32Array.of(0.3, 0.4) };
  opt.step([a, b]);
  assertClose(a.value, [-0.6, -0.8], 'a');
  assertClose(b.value, [-0.3, -0.4], 'b (under the norm: untouched)');
  assert.deepEqual(Array.from(a.grad), [3, 4], 'grad buffers are not modified');
});

test('globalClipnorm clips all gradients by their joint norm', () => {
  const opt = new Sgd({ learningRate: 1, globalClipnorm: 2.5 });
  const a: Parameter = { name: 'a', shape: [1], value: new Float32Array(1), grad: Float32Array.of(3) };
  const b: Parameter = { name: 'b', shape: [1], value: new Float32Array(1), grad: Float32Array.of(4) };
  opt.step([a, b]);
  assertClose(a.value, [-1.5], 'a');
  assertClose(b.value, [-2], 'b');
});

test('clipvalue clamps each element', () => {
  const opt = new Sgd({ learningRate: 1, clipvalue: 0.5 });
  const a: Parameter = { name: 'a', shape: [3], value: new Float32Array(3), grad: Float32Array.of(-2, 0.25, 7) };
  opt.step([a]);
  assert.deepEqual(Array.from(a.value), [0.5, -0.25, -0.5]);
});

test('reduceLROnPlateau reduces after patience epochs, honours cooldown and minLr, and checkpoints', () => {
  const opt = createOptimizer({
    type: 'adam', learningRate: 0.1,
    reduceLROnPlateau: { monitor: 'val_loss', factor: 0.5, patience: 2, cooldown: 1, min_lr: 0.03 },
  });
  const lrs: number[] = [];
  for (const v of [1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]) {
    opt.onEpochEnd!({ val_loss: v });
    lrs.push(opt.learningRate);
  }
  // epochs: improve, improve, wait1, wait2 -> 0.05 (cooldown 1), cooldown, wait1, wait2 -> 0.03 (floor)...
  assert.deepEqual(lrs.slice(0, 4), [0.1, 0.1, 0.1, 0.05]);
  assert.equal(lrs[4], 0.05);
  assert.equal(lrs[6], 0.03);
  assert.equal(lrs[9], 0.03);
  const st = opt.getState();
  const again = createOptimizer({ type: 'adam', learningRate: 0.1, reduceLROnPlateau: { factor: 0.5, patience: 2, cooldown: 1, minLr: 0.03 } });
  again.setState(JSON.parse(JSON.stringify(st)));
  assert.equal(again.learningRate, opt.learningRate);
  assert.ok(Object.values(st.scalars).every(Number.isFinite), 'scalars stay JSON-safe');
});

test('reduceLROnPlateau in auto mode maximises *acc* monitors', () => {
  const opt = createOptimizer({ type: 'sgd', learningRate: 1, reduceLROnPlateau: { monitor: 'val_accuracy', patience: 1 } });
  opt.onEpochEnd!({ val_accuracy: 0.5 });
  opt.onEpochEnd!({ val_accuracy: 0.6 });
  assert.equal(opt.learningRate, 1);
  opt.onEpochEnd!({ val_accuracy: 0.55 });
  assert.ok(Math.abs(opt.learningRate - 0.1) < 1e-15);
});

test('createOptimizer accepts Keras snake_case type and field names and applies Keras defaults', () => {
  const a = createOptimizer({ type: 'adam' }) as Adam;
  assert.equal(a.learningRate, 0.001);
  assert.equal(a.epsilon, 1e-7);
  assert.equal((createOptimizer({ type: 'AdamW' }) as AdamW).weightDecay, 0.004);
  assert.equal(createOptimizer({ type: 'RMSprop' }).type, 'rmsprop');
  assert.equal(createOptimizer('sgd').learningRate, 0.01);
  const c = normalizeOptimizerConfig({ type: 'adam', learning_rate: { type: 'exponential_decay', initial_learning_rate: 0.1, decay_steps: 5, decay_rate: 0.9 }, beta_1: 0.8, global_clipnorm: 1 });
  assert.deepEqual(c, { type: 'adam', learningRate: { type: 'exponentialDecay', initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.9 }, beta1: 0.8, globalClipnorm: 1 });
  assert.equal(createSchedule({ type: 'CosineDecay', initialLearningRate: 2, decaySteps: 4 })(4), 0);
});

test('createOptimizer rejects bad configs with errors naming the field', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ type: 'adamax' }, 'optimizer.type', /unknown optimizer "adamax"/],
    [{}, 'optimizer.type', /required/],
    [{ type: 'adam', learningRate: '0.1' }, 'optimizer.learningRate', /schedule object/],
    [{ type: 'adam', learningRate: -1 }, 'optimizer.learningRate', />= 0/],
    [{ type: 'adam', beta1: 1 }, 'optimizer.beta1', /< 1/],
    [{ type: 'adam', beta_2: Number.NaN }, 'optimizer.beta_2', /finite/],
    [{ type: 'adam', momentum: 0.9 }, 'optimizer.momentum', /unknown field/],
    [{ type: 'sgd', nesterov: true }, 'optimizer.nesterov', /momentum > 0/],
    [{ type: 'sgd', clipnorm: 1, clipvalue: 1 }, 'optimizer.clipvalue', /only one of/],
    [{ type: 'sgd', learningRate: { type: 'exponentialDecay', initialLearningRate: 0.1, decayRate: 0.9 } }, 'optimizer.learningRate.decaySteps', /required/],
    [{ type: 'sgd', learningRate: { type: 'cosineDecay', initialLearningRate: 0.1, decaySteps: 0 } }, 'optimizer.learningRate.decaySteps', /> 0/],
    [{ type: 'sgd', learningRate: { type: 'polynomialDecay' } }, 'optimizer.learningRate.type', /unknown schedule/],
    [{ type: 'sgd', learningRate: { type: 'piecewiseConstantDecay', boundaries: [5, 5], values: [1, 2, 3] } }, 'optimizer.learningRate.boundaries[1]', /greater/],
    [{ type: 'sgd', learningRate: { type: 'piecewiseConstantDecay', boundaries: [5], values: [1] } }, 'optimizer.learningRate.values', /one more/],
    [{ type: 'sgd', reduceLROnPlateau: { factor: 1 } }, 'optimizer.reduceLROnPlateau.factor', /< 1/],
    [{ type: 'sgd', reduceLROnPlateau: { patience: 1.5 } }, 'optimizer.reduceLROnPlateau.patience', /integer/],
  ];
  for (const [config, path, re] of cases) {
    assert.throws(() => createOptimizer(config), (e: unknown) => {
      assert.ok(e instanceof SpecError, `${JSON.stringify(config)} threw ${String(e)}`);
      assert.equal(e.path, path, JSON.stringify(config));
      assert.match(e.message, re);
      return true;
    });
  }
});

test('setState rejects a state from another optimizer type', () => {
  const st = new Sgd().getState();
  assert.throws(() => new Adam().setState(st), /sgd/);
});
