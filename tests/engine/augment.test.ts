/** Image augmentation: config validation, exact flips / shifts, determinism, fit integration (training batches only). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Augmenter, parseAugmentConfig } from '../../src/engine/augment/index.ts';
import { Rng } from '../../src/engine/rng.ts';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { SpecError } from '../../src/engine/errors.ts';

const img = (h: number, w: number, c = 1): Float32Array => Float32Array.from({ length: h * w * c }, (_, i) => i + 1);

test('augment config: defaults, and SpecErrors naming the field', () => {
  const c = parseAugmentConfig({ flipHorizontal: true, translate: 0.1, rotate: 10, cropPadding: 4, noise: 0.05 });
  assert.deepEqual(c, { flipHorizontal: true, flipVertical: false, translate: [0.1, 0.1], rotate: 10, cropPadding: 4, noise: 0.05 });
  const bad: [unknown, string][] = [
    [{ rotate: -5 }, 'augment.rotate'], [{ rotate: 200 }, 'augment.rotate'], [{ noise: 'a' }, 'augment.noise'],
    [{ translate: 1.5 }, 'augment.translate'], [{ translate: [0.1, -1] }, 'augment.translate[1]'], [{ cropPadding: 1.5 }, 'augment.cropPadding'],
    [{ flipHorizontal: 'yes' }, 'augment.flipHorizontal'], [{ flip: true }, 'augment.flip'], [3, 'augment'],
  ];
  for (const [raw, path] of bad) {
    assert.throws(() => parseAugmentConfig(raw), (e: unknown) => e instanceof SpecError && e.path === path, JSON.stringify(raw));
  }
  assert.throws(() => new Augmenter(parseAugmentConfig({}), [784]), (e: unknown) => e instanceof SpecError && /\[784\]/.test(e.message));
});

test('horizontal flip is an exact mirror; with p = 1/2 per sample', () => {
  const a = new Augmenter(parseAugmentConfig({ flipHorizontal: true }), [2, 3, 2]);
  const n = 64;
  const x = new Float32Array(n * 12);
  for (let s = 0; s < n; s++) x.set(img(2, 3, 2), s * 12);
  a.apply(x, n, new Rng(1));
  const mirrored = [5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8];
  let flips = 0;
  for (let s = 0; s < n; s++) {
    const got = Array.from(x.subarray(s * 12, s * 12 + 12));
    if (got[0] === 5) {
      assert.deepEqual(got, mirrored);
      flips++;
    } else assert.deepEqual(got, Array.from(img(2, 3, 2)));
  }
  assert.ok(flips > 16 && flips < 48, `${flips} of ${n} flipped`);
});

test('translation by whole pixels is an exact shift with zero fill; cropPadding likewise', () => {
  for (const cfg of [{ translate: 1 }, { cropPadding: 1 }]) {
    const a = new Augmenter(parseAugmentConfig(cfg), [3, 3]);
    const base = img(3, 3);
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const x = Float32Array.from(base);
      a.apply(x, 1, new Rng(seed));
      // find the shift that explains the result exactly
      let ok = false;
      for (let dy = -1; dy <= 1 && !ok; dy++) {
        for (let dx = -1; dx <= 1 && !ok; dx++) {
          const want = Array.from({ length: 9 }, (_, i) => {
            const sy = Math.floor(i / 3) - dy;
            const sx = (i % 3) - dx;
            return sy < 0 || sy > 2 || sx < 0 || sx > 2 ? 0 : base[sy * 3 + sx];
          });
          if (want.every((v, i) => v === x[i])) {
            ok = true;
            seen.add(`${dy},${dx}`);
          }
        }
      }
      assert.ok(ok, `seed ${seed}: ${Array.from(x).join(',')} is not a shift`);
    }
    assert.ok(seen.size >= 7, `only shifts ${[...seen].join(' ')} seen`);
  }
  // a fraction: 0.1 of 28 pixels → shifts up to 2
  const a = new Augmenter(parseAugmentConfig({ translate: 0.1 }), [28, 28, 1]);
  const x = new Float32Array(784).fill(1);
  a.apply(x, 1, new Rng(3));
  const zeros = x.filter((v) => v === 0).length;
  assert.ok(zeros <= 2 * 28 * 2 + 2 * 28 * 2);
});

test('rotation keeps shapes, fills 0 outside, keeps the interior of a constant image; noise has the stddev', () => {
  const a = new Augmenter(parseAugmentConfig({ rotate: 20 }), [9, 9, 2]);
  const x = new Float32Array(2 * 162).fill(1);
  a.apply(x, 2, new Rng(5));
  assert.equal(x.length, 324);
  for (let s = 0; s < 2; s++) {
    const c = s * 162 + (4 * 9 + 4) * 2;
    assert.ok(Math.abs(x[c] - 1) < 1e-6 && Math.abs(x[c + 1] - 1) < 1e-6);
  }
  assert.ok(x.some((v) => v < 1), 'corners rotated out');
  const nz = new Augmenter(parseAugmentConfig({ noise: 0.5 }), [20, 20]);
  const y = new Float32Array(4 * 400);
  nz.apply(y, 4, new Rng(1));
  const sd = Math.sqrt(y.reduce((s, v) => s + v * v, 0) / y.length);
  assert.ok(Math.abs(sd - 0.5) < 0.05, `stddev ${sd}`);
});

test('augmentation is deterministic for a seed and differs across seeds', () => {
  const a = new Augmenter(parseAugmentConfig({ flipHorizontal: true, translate: 0.2, rotate: 10, cropPadding: 2, noise: 0.05 }), [8, 8, 1]);
  const run = (seed: number): number[] => {
    const x = new Float32Array(3 * 64);
    for (let s = 0; s < 3; s++) x.set(img(8, 8), s * 64);
    a.apply(x, 3, new Rng(seed));
    return Array.from(x);
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
});

test('fit applies augment to training batches only, replayably; evaluate and predict see raw inputs', async () => {
  const spec = { inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 2 }, { type: 'flatten' }, { type: 'dense', units: 2, activation: 'softmax' }] };
  const n = 8;
  const x = Float32Array.from({ length: n * 16 }, (_, i) => (i * 7) % 5);
  const y = Float32Array.from({ length: n }, (_, i) => i % 2);
  const seen: number[][] = [];
  const train = async (augment?: object): Promise<Sequential> => {
    const m = Sequential.fromSpec(spec, { seed: 3 });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const layer = m.layers[0];
    const forward = layer.forward.bind(layer);
    layer.forward = (xb, batch, ctx) => {
      if (ctx.training) seen.push(Array.from(xb.subarray(0, batch * 16)));
      return forward(xb, batch, ctx);
    };
    await m.fit({ data: x, shape: [n, 4, 4, 1] }, { data: y, shape: [n] }, { epochs: 2, batchSize: 4, shuffle: false, ...(augment ? { augment } : {}) });
    return m;
  };
  const a = await train({ flipHorizontal: true, noise: 0.1 });
  const first = seen.splice(0);
  assert.equal(first.length, 4);
  assert.notDeepEqual(first[0], Array.from(x.subarray(0, 64)), 'training batch augmented');
  const b = await train({ flipHorizontal: true, noise: 0.1 });
  assert.deepEqual(seen.splice(0), first, 'same seed, same augmentation');
  assert.deepEqual(a.getWeights(), b.getWeights());
  await train();
  assert.deepEqual(seen.splice(0)[0], Array.from(x.subarray(0, 64)), 'no augment option, raw batches');
  // evaluate / predict never augment: same outputs as a plain forward
  const p = a.predict({ data: x, shape: [n, 4, 4, 1] }).data;
  const direct = Float32Array.from(a.forward(x, n, false));
  assert.deepEqual(Array.from(p), Array.from(direct));
  assert.equal(seen.length, 0, 'predict ran in inference mode');
  await assert.rejects(a.fit({ data: x, shape: [n, 4, 4, 1] }, { data: y, shape: [n] }, { augment: { rotate: -1 } }),
    (e: unknown) => e instanceof SpecError && e.path === 'augment.rotate');
});

test('a CNN with batch norm and augmentation resumes bit-identically from a mid-epoch checkpoint', async () => {
  const spec = { inputShape: [6, 6, 1], layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'batchNormalization' },
    { type: 'maxPooling2d' }, { type: 'flatten' }, { type: 'dense', units: 2, activation: 'softmax' },
  ] };
  const n = 24;
  const r = new Rng(9);
  const x = Float32Array.from({ length: n * 36 }, () => r.float());
  const y = Float32Array.from({ length: n }, (_, i) => i % 2);
  const opts = { batchSize: 6, augment: { flipHorizontal: true, translate: 1, rotate: 15, noise: 0.05 } };
  const make = (seed: number): Sequential => {
    const m = Sequential.fromSpec(spec, { seed });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    return m;
  };
  const X = { data: x, shape: [n, 6, 6, 1] };
  const Y = { data: y, shape: [n] };
  const straight = make(5);
  await straight.fit(X, Y, { ...opts, epochs: 3 });
  const first = make(5);
  let bytes: Uint8Array | undefined;
  await first.fit(X, Y, { ...opts, epochs: 3, callbacks: { onBatchEnd: (b, _l, info) => { if (info.epoch === 1 && b === 1) { bytes = first.saveCheckpoint(); return true; } } } });
  const resumed = make(77);
  resumed.loadCheckpoint(bytes as Uint8Array);
  await resumed.fit(X, Y, { ...opts, epochs: 3 });
  assert.deepEqual(Array.from(resumed.getWeights()), Array.from(straight.getWeights()));
  assert.equal(resumed.buffers.find((b) => b.name.endsWith('num_batches_tracked'))?.value[0], 12);
});
