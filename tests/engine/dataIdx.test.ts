import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readIdx, readIdxDataset, idxDataset, classCounts, DataFormatError } from '../../src/engine/data/index.ts';

function idx(dtypeByte: number, dims: number[], body: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const v = new DataView(out.buffer);
  out[2] = dtypeByte;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

function rejects(fn: () => unknown, code: string, re: RegExp, at: { row?: number; byte?: number; column?: string } = {}): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataFormatError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    for (const [k, v] of Object.entries(at)) assert.equal((e as unknown as Record<string, unknown>)[k], v, `${k} in ${e.message}`);
    return true;
  });
}

test('readIdx reads every dtype big-endian', () => {
  const u8 = readIdx(idx(0x08, [2, 2], [0, 1, 254, 255]));
  assert.deepEqual(u8.shape, [2, 2]);
  assert.deepEqual(Array.from(u8.data), [0, 1, 254, 255]);
  assert.deepEqual(Array.from(readIdx(idx(0x09, [2], [0xff, 0x7f])).data), [-1, 127]);
  assert.deepEqual(Array.from(readIdx(idx(0x0b, [2], [0xff, 0xfe, 0x01, 0x00])).data), [-2, 256]);
  assert.deepEqual(Array.from(readIdx(idx(0x0c, [1], [0x80, 0, 0, 0])).data), [-(2 ** 31)]);
  assert.deepEqual(Array.from(readIdx(idx(0x0d, [1], [0x3f, 0xc0, 0, 0])).data), [1.5]);
  assert.deepEqual(Array.from(readIdx(idx(0x0e, [1], [0xc0, 0x04, 0, 0, 0, 0, 0, 0])).data), [-2.5]);
});

test('readIdx rejects malformed input with the byte offset', () => {
  rejects(() => readIdx(gzipSync(idx(0x08, [1], [1]))), 'gzip', /gunzip/, { byte: 0 });
  rejects(() => readIdx(Uint8Array.of(0, 0, 8)), 'truncated', /at least 4 bytes/);
  rejects(() => readIdx(Uint8Array.of(0, 1, 8, 1, 0, 0, 0, 0)), 'bad_magic', /two zero bytes/, { byte: 0 });
  rejects(() => readIdx(Uint8Array.of(0, 0, 0x0a, 1, 0, 0, 0, 0)), 'unsupported', /0x0a/, { byte: 2 });
  rejects(() => readIdx(Uint8Array.of(0, 0, 8, 2, 0, 0, 0, 1)), 'truncated', /needs 12 bytes/);
  rejects(() => readIdx(idx(0x08, [2, 3], [1, 2, 3, 4, 5])), 'truncated', /needs 6 data bytes, got 5/, { byte: 4 + 8 + 5 });
  rejects(() => readIdx(idx(0x08, [2], [1, 2, 3])), 'trailing_bytes', /1 bytes follow/, { byte: 10 });
  rejects(() => readIdx(idx(0x0d, [2, 1], [0, 0, 0, 0, 0x7f, 0xc0, 0, 0])), 'not_finite', /NaN/, { row: 1, byte: 16 });
  rejects(() => readIdx(idx(0x08, [5], [1, 2, 3, 4, 5]), { maxSamples: 4 }), 'limit_exceeded', /maxSamples/);
  rejects(() => readIdx(idx(0x08, [5], [1, 2, 3, 4, 5]), { maxBytes: 8 }), 'limit_exceeded', /maxBytes/);
});

test('idxDataset pairs images and labels, scaling and validating', () => {
  const images = readIdx(idx(0x08, [2, 1, 2], [0, 255, 51, 102]));
  const labels = readIdx(idx(0x08, [2], [3, 1]));
  const ds = idxDataset(images, labels, { scale: 1 / 255 });
  assert.deepEqual(ds.sampleShape, [1, 2]);
  assert.equal(ds.count, 2);
  assert.deepEqual(Array.from(ds.x), [0, 1, 0.2, 0.4].map(Math.fround));
  assert.deepEqual(Array.from(ds.y), [3, 1]);
  assert.equal(ds.numClasses, 4);
  rejects(() => idxDataset(images, readIdx(idx(0x08, [3], [1, 2, 3]))), 'count_mismatch', /2 images but 3 labels/);
  rejects(() => idxDataset(images, labels, { numClasses: 3 }), 'bad_label', /out of range/, { row: 0 });
  rejects(() => idxDataset(images, readIdx(idx(0x09, [2], [1, 0xff]))), 'bad_label', /negative/, { row: 1 });
  rejects(() => idxDataset(images, readIdx(idx(0x0d, [2], [0x3f, 0xc0, 0, 0, 0, 0, 0, 0]))), 'bad_label', /integer IDX dtype/);
});

const dir = '/usr/share/datasets/fashion-mnist';
const imagesPath = `${dir}/t10k-images-idx3-ubyte.gz`;
const labelsPath = `${dir}/t10k-labels-idx1-ubyte.gz`;
const haveFashion = existsSync(imagesPath) && existsSync(labelsPath);

test('reads the real Fashion-MNIST test set', { skip: haveFashion ? false : `Fashion-MNIST not installed at ${dir} (apt-get install dataset-fashion-mnist)` }, () => {
  const imgGz = new Uint8Array(readFileSync(imagesPath));
  rejects(() => readIdx(imgGz), 'gzip', /gunzip/);
  const ds = readIdxDataset(gunzipSync(imgGz), gunzipSync(readFileSync(labelsPath)), { scale: 1 / 255, numClasses: 10 });
  assert.equal(ds.count, 10000);
  assert.deepEqual(ds.sampleShape, [28, 28]);
  assert.equal(ds.x.length, 10000 * 784);
  assert.equal(ds.numClasses, 10);
  // The test set is balanced: 1000 of each class.
  assert.deepEqual(classCounts(ds.y, 10), new Array(10).fill(1000));
  let max = 0;
  for (const v of ds.x) if (v > max) max = v;
  assert.equal(max, 1);
  // The first test image is an ankle boot (class 9).
  assert.equal(ds.y[0], 9);
});

test('classCounts counts class indices and rejects bad labels', () => {
  assert.deepEqual(classCounts(Int32Array.of(0, 2, 2, 1)), [1, 1, 2]);
  assert.deepEqual(classCounts([1], 3), [0, 1, 0]);
  assert.deepEqual(classCounts([]), []);
  rejects(() => classCounts([0, -1]), 'bad_label', /negative/, { row: 1 });
  rejects(() => classCounts([0.5]), 'bad_label', /not an integer/, { row: 0 });
  rejects(() => classCounts([3], 3), 'bad_label', /out of range/);
});
