/** maxPooling2d, averagePooling2d, global pooling: Keras shapes, exact small cases, finite differences. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from '../../src/engine/model/Sequential.ts';
import { validateSpec } from '../../src/engine/model/validateSpec.ts';
import { SpecError } from '../../src/engine/errors.ts';
import { gradCheckSpec } from './convGradCheck.ts';

const shapeOf = (spec: object): number[] => validateSpec(spec).shapes[0];

test('pooling output shapes follow Keras (default poolSize 2, strides = poolSize, same)', () => {
  assert.deepEqual(shapeOf({ inputShape: [26, 26, 16], layers: [{ type: 'maxPooling2d' }] }), [13, 13, 16]);
  assert.deepEqual(shapeOf({ inputShape: [5, 7, 1], layers: [{ type: 'MaxPooling2D', pool_size: 2 }] }), [2, 3, 1]);
  assert.deepEqual(shapeOf({ inputShape: [5, 7, 1], layers: [{ type: 'maxPooling2d', padding: 'same' }] }), [3, 4, 1]);
  assert.deepEqual(shapeOf({ inputShape: [5, 7, 1], layers: [{ type: 'averagePooling2d', poolSize: 3, strides: 1 }] }), [3, 5, 1]);
  assert.deepEqual(shapeOf({ inputShape: [5, 7, 3], layers: [{ type: 'globalAveragePooling2d' }] }), [3]);
  assert.deepEqual(shapeOf({ inputShape: [5, 7, 3], layers: [{ type: 'globalMaxPooling2d', keepdims: true }] }), [1, 1, 3]);
  assert.throws(() => validateSpec({ inputShape: [1, 5, 1], layers: [{ type: 'maxPooling2d' }] }),
    (e: unknown) => e instanceof SpecError && e.path === 'layers[0].poolSize' && /\[2,2\].*\[1,5,1\]/.test(e.message));
  assert.throws(() => validateSpec({ inputShape: [10], layers: [{ type: 'globalMaxPooling2d' }] }),
    (e: unknown) => e instanceof SpecError && /rank 3/.test(e.message));
});

test('max / average pooling exact values; "same" average excludes the padding from the count', () => {
  // 3x3 single channel 1..9, pool 2 same: windows [1,2,4,5], [3,6], [7,8], [9]
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const max = Sequential.fromSpec({ inputShape: [3, 3, 1], layers: [{ type: 'maxPooling2d', padding: 'same' }] });
  assert.deepEqual(Array.from(max.forward(x, 1, false)), [5, 6, 8, 9]);
  const avg = Sequential.fromSpec({ inputShape: [3, 3, 1], layers: [{ type: 'averagePooling2d', padding: 'same' }] });
  assert.deepEqual(Array.from(avg.forward(x, 1, false)), [3, 4.5, 7.5, 9]);
  const gavg = Sequential.fromSpec({ inputShape: [3, 3, 1], layers: [{ type: 'globalAveragePooling2d' }] });
  assert.deepEqual(Array.from(gavg.forward(x, 1, false)), [5]);
  // max gradient goes to the arg max only
  const l = max.layers[0];
  const dx = l.backward(Float32Array.from([1, 10, 100, 1000]), 1, true) as Float32Array;
  assert.deepEqual(Array.from(dx), [0, 0, 0, 0, 1, 10, 0, 100, 1000]);
});

const cases: [string, object, number[]][] = [
  ['maxPooling2d valid 2x2', { type: 'maxPooling2d' }, [4, 5, 2]],
  ['maxPooling2d same 3x3 stride 2', { type: 'maxPooling2d', poolSize: 3, strides: 2, padding: 'same' }, [5, 4, 2]],
  ['maxPooling2d [2,3] stride 1 valid', { type: 'maxPooling2d', poolSize: [2, 3], strides: 1 }, [4, 5, 2]],
  ['averagePooling2d valid 2x2', { type: 'averagePooling2d' }, [4, 5, 2]],
  ['averagePooling2d same 3x3 stride 2 (odd)', { type: 'averagePooling2d', poolSize: 3, strides: 2, padding: 'same' }, [5, 4, 2]],
  ['globalAveragePooling2d', { type: 'globalAveragePooling2d' }, [3, 4, 2]],
  ['globalMaxPooling2d', { type: 'globalMaxPooling2d' }, [3, 4, 2]],
];
for (const [name, layer, inputShape] of cases) {
  test(`${name}: finite differences through conv → pool → dense`, () => {
    gradCheckSpec({ inputShape, layers: [
      { type: 'conv2d', filters: 2, kernelSize: 1 }, layer, { type: 'flatten' }, { type: 'dense', units: 3 },
    ] }, 2);
  });
}
