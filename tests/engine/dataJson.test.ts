import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readJsonDataset, DataFormatError } from '../../src/engine/data/index.ts';

function rejects(fn: () => unknown, code: string, re: RegExp, at: { row?: number; byte?: number; column?: string } = {}): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataFormatError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    for (const [k, v] of Object.entries(at)) assert.equal((e as unknown as Record<string, unknown>)[k], v, `${k} in ${e.message}`);
    return true;
  });
}

test('reads the columns layout {"x": [...], "y": [...]}', () => {
  const ds = readJsonDataset('{"x": [[[1,2],[3,4]], [[5,6],[7,8]], [[0,0],[0,-1.5e-3]]], "y": [1, 0, 4]}');
  assert.deepEqual(ds.sampleShape, [2, 2]);
  assert.equal(ds.count, 3);
  assert.deepEqual(Array.from(ds.x), [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, Math.fround(-1.5e-3)]);
  assert.deepEqual(Array.from(ds.y), [1, 0, 4]);
  assert.equal(ds.numClasses, 5);
});

test('reads the rows layout [{"x", "y"}], from bytes, with value labels', () => {
  const ds = readJsonDataset(new TextEncoder().encode('[{"x": [1, 2], "y": [0, 1]}, {"x": [3, 4], "y": [1, 0]}]'), { labels: 'values' });
  assert.deepEqual(ds.sampleShape, [2]);
  assert.deepEqual(ds.labelShape, [2]);
  assert.ok(ds.y instanceof Float32Array);
  assert.deepEqual(Array.from(ds.y), [0, 1, 1, 0]);
  const scalar = readJsonDataset('[{"x": 0.5, "y": 1}]', { numClasses: 2 });
  assert.deepEqual(scalar.sampleShape, []);
  assert.equal(scalar.numClasses, 2);
  const empty = readJsonDataset('{"x": [], "y": []}');
  assert.equal(empty.count, 0);
});

test('rejects malformed JSON data with the sample and path', () => {
  rejects(() => readJsonDataset('{"x": [1, 2], "y": [0]}'), 'count_mismatch', /2 samples in "x" but 1 labels/);
  rejects(() => readJsonDataset('{"x": [[1, 2], [3]], "y": [0, 1]}'), 'ragged', /length 1, expected 2/, { row: 1, column: 'x[1]' });
  rejects(() => readJsonDataset('{"x": [[1, 2], [3, [4]]], "y": [0, 1]}'), 'ragged', /expected a number, got an array/, { row: 1, column: 'x[1][1]' });
  rejects(() => readJsonDataset('{"x": [[1, 2], 3], "y": [0, 1]}'), 'ragged', /expected an array of length 2/, { row: 1, column: 'x[1]' });
  rejects(() => readJsonDataset('{"x": [[1, "2"]], "y": [0]}'), 'not_numeric', /string "2"/, { row: 0, column: 'x[0][1]' });
  rejects(() => readJsonDataset('{"x": [[1, null]], "y": [0]}'), 'not_numeric', /null \(NaN/, { column: 'x[0][1]' });
  rejects(() => readJsonDataset('{"x": [[1, 1e400]], "y": [0]}'), 'not_finite', /Infinity/, { column: 'x[0][1]' });
  rejects(() => readJsonDataset('{"x": [[1, NaN]], "y": [0]}'), 'bad_json', /not valid JSON/);
  // The byte offset is reported when V8's message gives a position (é is two bytes).
  rejects(() => readJsonDataset('{"é": [[1]] "y": [0]}'), 'bad_json', /not valid JSON/, { byte: 13 });
  rejects(() => readJsonDataset('{"x": [[1]], "y": [-1]}'), 'bad_label', /negative/, { row: 0, column: 'y[0]' });
  rejects(() => readJsonDataset('{"x": [[1]], "y": [1.5]}'), 'bad_label', /not an integer/);
  rejects(() => readJsonDataset('{"x": [[1]], "y": [3]}', { numClasses: 3 }), 'bad_label', /out of range/);
  rejects(() => readJsonDataset('{"x": [[1]], "y": ["1"]}'), 'not_numeric', /class label must be a number/);
  rejects(() => readJsonDataset('{"x": [[1]], "y": [[0, 1]]}'), 'bad_label', /labels: 'values'/);
  rejects(() => readJsonDataset('[{"x": [1], "y": 0}, {"x": [2]}]'), 'bad_json', /\{"x": \.\.\., "y": \.\.\.\}/, { row: 1 });
  rejects(() => readJsonDataset('[{"x": [1], "y": [0, 1]}, {"x": [2], "y": [1]}]', { labels: 'values' }), 'ragged', /length 1, expected 2/, { column: '[1].y' });
  rejects(() => readJsonDataset('{"x": [[1]], "y": [0], "z": 1}'), 'bad_json', /unknown key "z"/);
  rejects(() => readJsonDataset('{"x": 5, "y": [0]}'), 'bad_json', /"x" must be an array/);
  rejects(() => readJsonDataset('42'), 'bad_json', /expected/);
  rejects(() => readJsonDataset('{"x": [[1]], "y": [0]}', { maxBytes: 10 }), 'limit_exceeded', /maxBytes/);
  rejects(() => readJsonDataset('{"x": [[1], [2]], "y": [0, 0]}', { maxSamples: 1 }), 'limit_exceeded', /maxSamples/);
});
