/**
 * Upload caps: the decompressed bytes over all files count against
 * maxUploadBytes, and a gzip bomb is refused while it is being read.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGzip, gzipSync } from 'node:zlib';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { multipartBody, type FormPart } from '../helpers/multipart.ts';
import { idxU8 } from '../helpers/dataset-files.ts';

const CAP = 1_000_000;
let t: TestApp;

/** `totalBytes` of zeros, gzipped as a stream (200 MB of zeros is about 200 KB). */
async function gzippedZeros(totalBytes: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve, reject) => gz.on('end', resolve).on('error', reject));
  const block = Buffer.alloc(1024 * 1024);
  for (let left = totalBytes; left > 0; left -= block.length) {
    if (!gz.write(left >= block.length ? block : block.subarray(0, left))) await new Promise((r) => gz.once('drain', r));
  }
  gz.end();
  await done;
  return Buffer.concat(out);
}

async function upload(parts: FormPart[], authorization = t.auth.authorization) {
  const { payload, headers } = multipartBody(parts);
  return t.app.inject({ method: 'POST', url: '/v1/datasets', payload, headers: { ...headers, authorization } });
}

before(async () => {
  t = await createTestApp({ limits: { maxUploadBytes: CAP } });
});
after(async () => {
  await t.close();
});

test('a gzip bomb (200 MB of zeros, ~200 KB gzipped) is a 413 as soon as it passes the cap', async () => {
  const bomb = await gzippedZeros(200 * 1024 * 1024);
  assert.ok(bomb.length < 400_000, `bomb is ${bomb.length} bytes`);
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const res = await upload([
    { name: 'format', value: 'idx' },
    { name: 'name', value: 'bomb' },
    { name: 'x', filename: 'x.gz', content: bomb },
    { name: 'y', filename: 'y', content: idxU8([1], [0]) },
  ]);
  const ms = performance.now() - started;
  if (process.env.TEST_VERBOSE) console.log(`bomb refused in ${ms.toFixed(1)} ms`); // a figure, not a threshold: machines are shared
  assert.equal(res.statusCode, 413, res.body);
  assert.equal(res.json().code, 'payload_too_large');
  assert.match(res.json().message, /file "x": the upload is over 1000000 bytes after decompression \(maxUploadBytes\)/);
  // Refused early: nowhere near 200 MB was inflated or kept.
  assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024, 'memory stayed small');
  assert.equal(await t.db.prisma.dataset.count({ where: { name: 'bomb' } }), 0);
});

test('the cap is over the sum of the files: two files each under it, together over, are a 413', async () => {
  const x = idxU8([600, 1000], new Uint8Array(600_000));
  const y = idxU8([600], new Uint8Array(600));
  const res = await upload([
    { name: 'format', value: 'idx' },
    { name: 'name', value: 'big' },
    { name: 'y', filename: 'y', content: gzipSync(y) },
    { name: 'x', filename: 'x', content: x },
  ]);
  assert.equal(res.statusCode, 201, res.body);
  // 500 KB + 600 KB (decompressed; 600 KB of ones gzip to ~1 KB): over, refused while reading y.
  const x2 = idxU8([500, 1000], new Uint8Array(500_000));
  const ones = Buffer.alloc(600_000, 0x31);
  const over = await upload([
    { name: 'format', value: 'npy' },
    { name: 'name', value: 'over' },
    { name: 'x', filename: 'x', content: x2 },
    { name: 'y', filename: 'y', content: gzipSync(ones) },
  ]);
  assert.equal(over.statusCode, 413, over.body);
  assert.match(over.json().message, /file "y": the upload is over 1000000 bytes/);
});

test("a tenant's own maxUploadBytes overrides the default", async () => {
  const key = await t.keyFor('small-tenant');
  await t.db.prisma.tenant.update({ where: { name: 'small-tenant' }, data: { limits: { maxUploadBytes: 100 } } });
  const res = await upload([
    { name: 'format', value: 'idx' },
    { name: 'name', value: 'small' },
    { name: 'x', filename: 'x', content: idxU8([2, 100], new Uint8Array(200)) },
    { name: 'y', filename: 'y', content: idxU8([2], [0, 1]) },
  ], `Bearer ${key}`);
  assert.equal(res.statusCode, 413, res.body);
  assert.match(res.json().message, /over 100 bytes/);
});
