/**
 * Large byte values go to Postgres and back as base64 text (src/db/bytea.ts): every byte of a
 * checkpoint, a sample grid and a multi-chunk data set file comes back exactly, at sizes
 * around base64's 3-byte groups and the 1 MiB chunk boundary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../helpers/app.ts';
import { seedJob, tenantIdOf } from '../api/job-outputs-helpers.ts';
import { commitCheckpoint, findCheckpoint, findSamplePng, listCheckpoints } from '../../src/db/repos/checkpoints.ts';
import { CHUNK_BYTES, createDataset, loadDatasetParts } from '../../src/db/repos/datasets.ts';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

test('checkpoint bytes and sample grids round-trip exactly', async (t) => {
  const app = await createTestApp();
  t.after(() => app.close());
  const prisma = app.db.prisma;
  const job = await seedJob(prisma, await tenantIdOf(prisma, 'default'));
  const retention = { keepLast: 100 };
  const sizes = [0, 1, 2, 3, 4, 76, 77, CHUNK_BYTES + 5];
  for (let i = 0; i < sizes.length; i++) {
    const png = i % 2 === 0 ? bytes(sizes[i] + 10, 100 + i) : undefined;
    await commitCheckpoint(prisma, job.jobId, job.lease, {
      attempt: 1, epoch: i, step: i + 1, kind: 'epoch', bytes: bytes(sizes[i], i + 1), metrics: {}, ...(png ? { samplePng: png } : {}),
    }, retention);
  }
  const all = await listCheckpoints(prisma, job.jobId);
  assert.equal(all.length, sizes.length);
  for (const c of all) {
    const i = c.step - 1;
    const got = await findCheckpoint(prisma, job.jobId, c.id);
    assert.equal(c.size, sizes[i]);
    assert.deepEqual(Buffer.from(got!.bytes), Buffer.from(bytes(sizes[i], i + 1)), `checkpoint of ${sizes[i]} bytes`);
    const png = await findSamplePng(prisma, job.jobId, c.id);
    if (i % 2 === 0) assert.deepEqual(Buffer.from(png!), Buffer.from(bytes(sizes[i] + 10, 100 + i)));
    else assert.equal(png, null);
  }
});

test('a data set file of several chunks reassembles exactly', async (t) => {
  const app = await createTestApp();
  t.after(() => app.close());
  const prisma = app.db.prisma;
  const x = bytes(9 * CHUNK_BYTES + 7, 5);
  const y = bytes(1, 6);
  // Given in odd pieces: the repo re-slices them into CHUNK_BYTES rows (10 for x, 2 statements).
  const pieces = [x.subarray(0, 1000), x.subarray(1000, 3 * CHUNK_BYTES + 1), x.subarray(3 * CHUNK_BYTES + 1)];
  const ds = await createDataset(prisma, {
    tenantId: await tenantIdOf(prisma, 'default'), name: 'bytes', format: 'npy', options: {}, sampleShape: [1], labelShape: [],
    sampleCount: 1, numClasses: null, classCounts: null, sha256: 'x', parts: { x: pieces, y: [y] },
  });
  const back = await loadDatasetParts(prisma, ds.id);
  assert.ok(back);
  assert.deepEqual(Object.keys(back.parts).sort(), ['x', 'y']);
  assert.equal(back.parts.x.byteLength, x.byteLength);
  assert.ok(Buffer.from(back.parts.x).equals(Buffer.from(x)), 'x byte for byte');
  assert.ok(Buffer.from(back.parts.y).equals(Buffer.from(y)));
});
