/**
 * Real data: the Fashion-MNIST test set, uploaded gzipped as it ships.
 * Skipped when the files are not on this machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createTestApp } from '../helpers/app.ts';
import { multipartBody } from '../helpers/multipart.ts';

const DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const IMAGES = `${DIR}/t10k-images-idx3-ubyte.gz`;
const LABELS = `${DIR}/t10k-labels-idx1-ubyte.gz`;
const present = existsSync(IMAGES) && existsSync(LABELS);

test('Fashion-MNIST test set (gzipped IDX): 10000 samples of [28, 28], 10 classes of 1000', { skip: present ? false : `no ${IMAGES}` }, async () => {
  const t = await createTestApp();
  try {
    const x = readFileSync(IMAGES);
    const y = readFileSync(LABELS);
    const { payload, headers } = multipartBody([
      { name: 'format', value: 'idx' },
      { name: 'name', value: 'fashion-mnist t10k' },
      { name: 'x', filename: 't10k-images-idx3-ubyte.gz', content: x },
      { name: 'y', filename: 't10k-labels-idx1-ubyte.gz', content: y },
    ]);
    const started = performance.now();
    const res = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload, headers: { ...headers, ...t.auth } });
    const ms = performance.now() - started;
    assert.equal(res.statusCode, 201, res.body);
    const d = res.json();
    assert.equal(d.count, 10000);
    assert.deepEqual(d.sampleShape, [28, 28]);
    assert.equal(d.numClasses, 10);
    assert.deepEqual(d.classCounts, new Array(10).fill(1000));
    const raw = [gunzipSync(x), gunzipSync(y)];
    assert.equal(d.bytes, raw[0].length + raw[1].length);
    assert.equal(d.sha256, createHash('sha256').update(raw[0]).update(raw[1]).digest('hex'));
    // The stored content reads back byte for byte (8 chunks of 1 MiB for x).
    const xChunks = await t.db.prisma.datasetChunk.count({ where: { datasetId: d.id, part: 'x' } });
    assert.equal(xChunks, Math.ceil(raw[0].length / (1024 * 1024)));
    if (process.env.TEST_VERBOSE) console.log(`fashion-mnist t10k upload: ${payload.length} B gzipped, ${d.bytes} B decompressed, ${ms.toFixed(0)} ms`);
  } finally {
    await t.close();
  }
});
