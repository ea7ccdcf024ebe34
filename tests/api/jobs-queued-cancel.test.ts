/** With no worker running, a submitted job waits in the queue; cancelling it is immediate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp } from '../helpers/app.ts';
import { mlpSpec, storeBlobs } from '../helpers/datasets.ts';

test('a queued job is cancelled at once and leaves the queue', async (ctx) => {
  const t = await createTestApp();
  ctx.after(() => t.close());
  const tenantId = (await t.db.prisma.tenant.findUniqueOrThrow({ where: { name: 'default' } })).id;
  const datasetId = await storeBlobs(t.db.prisma, tenantId);
  const r = await t.app.inject({ method: 'POST', url: '/v1/jobs', headers: t.auth, payload: { datasetId, model: mlpSpec(), training: { loss: 'sparseCategoricalCrossentropy', epochs: 1 } } });
  assert.equal(r.statusCode, 201, r.body);
  const id = r.json().id;
  assert.ok((await t.queue.liveJobIds()).has(id), 'the job is in the queue');
  const c = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: t.auth });
  assert.equal(c.statusCode, 200, c.body);
  assert.equal(c.json().status, 'cancelled');
  assert.deepEqual(c.json().transitions.map((x: { to: string }) => x.to), ['queued', 'cancelled']);
  assert.ok(!(await t.queue.liveJobIds()).has(id), 'and out of the queue');
});
