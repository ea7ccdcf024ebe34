/** GanTrainer: losses and gradients (finite differences), isolation of the D and G steps, determinism, NaN stop. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GanTrainer, type GanOptions } from '../../src/engine/gan/GanTrainer.ts';
import { generatorOutputRange } from '../../src/engine/gan/sampleGrid.ts';
import { bceLogitsMean, bceWithLogits } from '../../src/engine/gan/ganLoss.ts';
import { NonFiniteLossError, TrainingAbortedError } from '../../src/engine/errors.ts';
import { PLAIN_KERNELS } from '../../src/engine/layers/layerEnv.ts';
import { Rng } from '../../src/engine/rng.ts';
import { convOptions, images } from './ganToy.ts';

const LATENT = 3;
const DIM = 2;

function tinyOptions(dSigmoid: boolean, seed = 7): GanOptions {
  return {
    generator: { inputShape: [LATENT], layers: [{ type: 'dense', units: 4, activation: 'tanh' }, { type: 'dense', units: DIM }] },
    discriminator: {
      inputShape: [DIM],
      layers: [{ type: 'dense', units: 5, activation: 'tanh' }, { type: 'dense', units: 1, ...(dSigmoid ? { activation: 'sigmoid' } : {}) }],
    },
    seed,
    kernels: PLAIN_KERNELS,
  };
}

function normals(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** Real data: points around (1.5, -0.5). */
function realData(n: number, seed = 3): Float32Array {
  const r = new Rng(seed);
  const x = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    x[i * DIM] = 1.5 + 0.3 * r.normal();
    x[i * DIM + 1] = -0.5 + 0.3 * r.normal();
  }
  return x;
}

/** D's probabilities for a batch (inference; the tiny D has no dropout or batch norm). */
function dProb(gan: GanTrainer, x: Float32Array, n: number): Float64Array {
  const out = gan.discriminator.forward(x, n, false);
  const sigmoidOut = gan.discriminator.layers[1].outputActivation === 'sigmoid';
  return Float64Array.from(out.subarray(0, n), (v) => (sigmoidOut ? v : 1 / (1 + Math.exp(-v))));
}

test('bce with logits is stable and matches -log(sigmoid) forms', () => {
  assert.equal(bceWithLogits(100, 0), 100);
  assert.equal(bceWithLogits(-100, 1), 100);
  assert.ok(bceWithLogits(100, 1) < 1e-40);
  assert.ok(Math.abs(bceWithLogits(0.3, 1) + Math.log(1 / (1 + Math.exp(-0.3)))) < 1e-12);
  assert.ok(Math.abs(bceWithLogits(0.3, 0) + Math.log(1 - 1 / (1 + Math.exp(-0.3)))) < 1e-12);
  const g = new Float32Array(2);
  const r = bceLogitsMean(Float32Array.of(2, -1), 2, 1, g);
  assert.equal(r.accuracy, 0.5);
  assert.ok(Math.abs(g[0] - (1 / (1 + Math.exp(-2)) - 1) / 2) < 1e-7);
});

for (const dSigmoid of [true, false]) {
  const label = dSigmoid ? 'D ends in sigmoid' : 'D outputs a logit';

  test(`losses equal the BCE of D's probabilities (${label})`, () => {
    const gan = new GanTrainer(tinyOptions(dSigmoid));
    const B = 6;
    const real = realData(B);
    const z = normals(B * LATENT, 11);
    const { dLoss, accReal, accFake } = gan.discriminatorGradients(real, z, B);
    const fake = gan.generator.forward(z, B, false).slice();
    const pr = dProb(gan, real, B);
    const pf = dProb(gan, fake, B);
    let want = 0;
    let wantG = 0;
    for (let i = 0; i < B; i++) {
      want += -Math.log(pr[i]) / B - Math.log(1 - pf[i]) / B;
      wantG += -Math.log(pf[i]) / B;
    }
    assert.ok(Math.abs(dLoss - want) < 1e-5, `d_loss ${dLoss} vs ${want}`);
    assert.equal(accReal, pr.filter((p) => p > 0.5).length / B);
    assert.equal(accFake, pf.filter((p) => p < 0.5).length / B);
    const gLoss = gan.generatorGradients(z, B);
    assert.ok(Math.abs(gLoss - wantG) < 1e-5, `g_loss ${gLoss} vs ${wantG}`);
  });

  test(`discriminator gradient matches finite differences (${label})`, () => {
    const gan = new GanTrainer(tinyOptions(dSigmoid));
    const B = 5;
    const real = realData(B);
    const z = normals(B * LATENT, 12);
    gan.discriminatorGradients(real, z, B);
    const grads = gan.discriminator.params.map((p) => p.grad.slice());
    const eps = 1e-2;
    let worst = 0;
    gan.discriminator.params.forEach((p, k) => {
      for (let j = 0; j < p.value.length; j++) {
        const v = p.value[j];
        p.value[j] = v + eps;
        const up = gan.discriminatorGradients(real, z, B).dLoss;
        p.value[j] = v - eps;
        const down = gan.discriminatorGradients(real, z, B).dLoss;
        p.value[j] = v;
        const fd = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - grads[k][j]) / Math.max(1e-2, Math.abs(fd)));
      }
    });
    assert.ok(worst < 2e-2, `worst relative error ${worst}`);
  });

  test(`generator gradient through D matches finite differences of the G loss (${label})`, () => {
    const gan = new GanTrainer(tinyOptions(dSigmoid));
    const B = 5;
    const z = normals(B * LATENT, 13);
    const dBefore = gan.discriminator.getWeights();
    gan.generatorGradients(z, B);
    const grads = gan.generator.params.map((p) => p.grad.slice());
    assert.ok(grads.some((g) => g.some((v) => v !== 0)), 'the generator gets a gradient');
    assert.ok(gan.discriminator.storage.grads.every((v) => v === 0), "D's grads from the G pass are discarded");
    const eps = 1e-2;
    let worst = 0;
    gan.generator.params.forEach((p, k) => {
      for (let j = 0; j < p.value.length; j++) {
        const v = p.value[j];
        p.value[j] = v + eps;
        const up = gan.generatorGradients(z, B);
        p.value[j] = v - eps;
        const down = gan.generatorGradients(z, B);
        p.value[j] = v;
        const fd = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - grads[k][j]) / Math.max(1e-2, Math.abs(fd)));
      }
    });
    assert.ok(worst < 2e-2, `worst relative error ${worst}`);
    assert.deepEqual(gan.discriminator.getWeights(), dBefore);
  });
}

test('a D step changes only D (G weights and moving statistics untouched); a G step changes only G', () => {
  const gan = new GanTrainer(convOptions());
  const B = 8;
  const x = images(B);
  const g0 = gan.generator.getWeights();
  const d0 = gan.discriminator.getWeights();
  gan.discriminatorStep(x, B);
  assert.deepEqual(gan.generator.getWeights(), g0, 'D step left G (weights and buffers) unchanged');
  const d1 = gan.discriminator.getWeights();
  assert.notDeepEqual(d1, d0, 'D step updated D');
  gan.generatorStep(B);
  assert.deepEqual(gan.discriminator.getWeights(), d1, 'G step left D (weights and buffers) unchanged');
  assert.notDeepEqual(gan.generator.getWeights(), g0, 'G step updated G');
  assert.ok(gan.discriminator.storage.grads.every((v) => v === 0));
});

test('fit reports the four metrics per step and per epoch, and is deterministic for a seed', async () => {
  const N = 40;
  const x = images(N);
  const runOnce = async (): Promise<{ g: Float32Array; d: Float32Array; steps: Record<string, number>[]; epochs: Record<string, number[]> }> => {
    const gan = new GanTrainer(convOptions(21, 2));
    const steps: Record<string, number>[] = [];
    const h = await gan.fit({ data: x, shape: [N, 4, 4, 1] }, { epochs: 3, batchSize: 8, callbacks: { onStepEnd: (_s, logs) => { steps.push({ ...logs }); } } });
    return { g: gan.generator.getWeights(), d: gan.discriminator.getWeights(), steps, epochs: h.history };
  };
  const a = await runOnce();
  const b = await runOnce();
  // 40 samples, batch 8, dSteps 2: 2 steps per epoch (the leftover batch is dropped).
  assert.equal(a.steps.length, 6);
  assert.deepEqual(Object.keys(a.steps[0]).sort(), ['d_acc_fake', 'd_acc_real', 'd_loss', 'g_loss']);
  assert.deepEqual(Object.keys(a.epochs).sort(), ['d_acc_fake', 'd_acc_real', 'd_loss', 'g_loss']);
  assert.equal(a.epochs.d_loss.length, 3);
  assert.ok(Math.abs(a.epochs.g_loss[0] - (a.steps[0].g_loss + a.steps[1].g_loss) / 2) < 1e-12);
  assert.deepEqual(a.g, b.g);
  assert.deepEqual(a.d, b.d);
  assert.deepEqual(a.steps, b.steps);
  const other = new GanTrainer(convOptions(22, 2));
  await other.fit({ data: x, shape: [N, 4, 4, 1] }, { epochs: 1, batchSize: 8 });
  assert.notDeepEqual(other.generator.getWeights(), a.g);
});

test('a callback returning true stops after that step; an AbortSignal rejects', async () => {
  const N = 32;
  const x = { data: images(N), shape: [N, 4, 4, 1] };
  const gan = new GanTrainer(convOptions());
  let n = 0;
  const h = await gan.fit(x, { epochs: 5, batchSize: 4, callbacks: { onStepEnd: () => ++n === 3 } });
  assert.equal(h.stopReason, 'stopped');
  assert.equal(gan.progress.step, 3);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(gan.fit(x, { epochs: 5, batchSize: 4, signal: ac.signal }), TrainingAbortedError);
});

test('a NaN loss stops training with NonFiniteLossError and that update is not applied', async () => {
  const N = 16;
  const data = images(N);
  data.fill(Number.NaN, 0, 16 * N);
  const gan = new GanTrainer(convOptions());
  const g0 = gan.generator.getWeights();
  const d0 = gan.discriminator.getWeights();
  let steps = 0;
  await assert.rejects(
    gan.fit({ data, shape: [N, 4, 4, 1] }, { epochs: 2, batchSize: 4, callbacks: { onStepEnd: () => { steps++; } } }),
    (e: unknown) => e instanceof NonFiniteLossError && Number.isNaN(e.value) && e.step === 0,
  );
  assert.equal(steps, 0);
  assert.deepEqual(gan.discriminator.getWeights(), d0);
  assert.deepEqual(gan.generator.getWeights(), g0);
  // A NaN in the generator: the G loss becomes NaN, the generator is not updated.
  const gan2 = new GanTrainer(tinyOptions(true));
  gan2.generator.params[0].value[0] = Number.NaN;
  const g2 = gan2.generator.getWeights();
  assert.throws(() => gan2.generatorStep(4), NonFiniteLossError);
  assert.deepEqual(gan2.generator.getWeights(), g2);
});

test('predict and sampleGrid: fixed noise, tiling with separators, tanh range mapped to 0..255', () => {
  const gan = new GanTrainer(convOptions());
  const p = gan.predict(5);
  assert.deepEqual(p.shape, [5, 4, 4, 1]);
  const fixed = gan.predict(gan.fixedNoise.subarray(0, 6 * 4));
  const grid = gan.sampleGrid(null, 2, 3);
  assert.deepEqual([grid.width, grid.height, grid.channels], [3 * 4 + 2, 2 * 4 + 1, 1]);
  assert.equal(grid.data.length, 14 * 9);
  for (let y = 0; y < 9; y++) assert.equal(grid.data[y * 14 + 4], 128, 'vertical separator');
  for (let x = 0; x < 14; x++) assert.equal(grid.data[4 * 14 + x], 128, 'horizontal separator');
  // tile (row 1, col 2) = sample 5; its pixel (1, 2)
  const v = fixed.data[5 * 16 + 1 * 4 + 2];
  assert.equal(grid.data[(5 + 1) * 14 + 10 + 2], Math.round((v + 1) * 127.5));
  // the same grid twice (inference mode does not change anything)
  assert.deepEqual(gan.sampleGrid(null, 2, 3).data, grid.data);
  assert.throws(() => gan.sampleGrid(null, 3, 3));
});

test('spec errors: latent input, D input shape, D final activation', () => {
  const o = tinyOptions(true);
  assert.throws(() => new GanTrainer({ ...o, discriminator: { inputShape: [3], layers: [{ type: 'dense', units: 1 }] } }), /generator's output shape/);
  assert.throws(() => new GanTrainer({ ...o, discriminator: { inputShape: [DIM], layers: [{ type: 'dense', units: 1, activation: 'relu' }] } }), /logits/);
  assert.throws(() => new GanTrainer({ ...o, dSteps: 0 }), /dSteps/);
});

test('gan: sample range looks through range-preserving layers; default grid uses full rows; equal states checkpoint to equal bytes', () => {
  assert.deepEqual(generatorOutputRange([{ type: 'dense', outputActivation: 'sigmoid' }, { type: 'reshape' }]), [0, 1]);
  assert.deepEqual(generatorOutputRange([{ type: 'dense', outputActivation: 'tanh' }, { type: 'reshape' }]), [-1, 1]);
  assert.deepEqual(generatorOutputRange([{ type: 'dense', outputActivation: 'sigmoid' }, { type: 'batchNormalization' }]), [-1, 1]);
  assert.deepEqual(generatorOutputRange([{ type: 'conv2d', outputActivation: 'sigmoid' }, { type: 'upSampling2d' }, { type: 'reshape' }]), [0, 1]);
  const grid = new GanTrainer(convOptions()).sampleGrid(); // 6 fixed vectors: 2 full rows of 3
  assert.equal(grid.width, 3 * 4 + 2);
  assert.equal(grid.height, 2 * 4 + 1);
  const a = new Rng(123);
  for (let i = 0; i < 17; i++) a.float();
  const b = Rng.fromState(a.getState());
  assert.deepEqual(b.getState(), a.getState(), 'one representation per state');
  assert.ok(a.getState().s.every((w) => w >= 0 && w <= 0xffffffff));
});
