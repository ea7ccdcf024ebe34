/**
 * The model routes through HTTP: dry-run validation with the engine's
 * summary and limit report, and stored named specs (tenant-scoped).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const MLP = {
  inputShape: [28, 28],
  layers: [
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};
const MLP_PARAMS = 784 * 128 + 128 + 128 * 10 + 10;

let t: TestApp;

function post(url: string, payload: unknown, authorization = t.auth.authorization) {
  return t.app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization } });
}

before(async () => {
  t = await createTestApp({ limits: { maxParams: 200_000, maxMemoryBytes: 64 * 1024 * 1024 } });
});
after(async () => {
  await t.close();
});

describe('POST /v1/models/validate', () => {
  test('a valid spec: per-layer shapes and parameters, FLOPs, memory, within limits', async () => {
    const res = await post('/v1/models/validate', MLP);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.valid, true);
    assert.equal(body.withinLimits, true);
    assert.deepEqual(body.reasons, []);
    assert.deepEqual(body.limits, { maxParams: 200_000, maxMemoryBytes: 64 * 1024 * 1024 });
    const s = body.summary;
    assert.deepEqual(s.inputShape, [28, 28]);
    assert.deepEqual(s.layers.map((l: { outputShape: number[] }) => l.outputShape), [[784], [128], [10]]);
    assert.deepEqual(s.layers.map((l: { params: number }) => l.params), [0, 784 * 128 + 128, 1290]);
    assert.deepEqual(s.layers.map((l: { name: string; type: string }) => `${l.name}:${l.type}`), ['flatten:flatten', 'dense:dense', 'dense_1:dense']);
    assert.equal(s.trainableParams, MLP_PARAMS);
    assert.equal(s.totalParams, MLP_PARAMS);
    assert.deepEqual(s.outputShape, [10]);
    assert.ok(s.flops.forwardPerSample >= 2 * (784 * 128 + 128 * 10));
    assert.equal(s.flops.trainingPerSample, 3 * s.flops.forwardPerSample);
    assert.equal(s.memory.batchSize, 32);
    assert.equal(s.memory.optimizerSlotsPerParam, 2, 'adam by default');
    assert.equal(s.memory.paramBytes, 4 * MLP_PARAMS);
    assert.ok(s.memory.totalTrainingBytes > s.memory.paramBytes * 4);
  });

  test('batchSize and optimizer change the memory estimate', async () => {
    const res = await post('/v1/models/validate?batchSize=256&optimizer=sgd', MLP);
    assert.equal(res.statusCode, 200, res.body);
    const m = res.json().summary.memory;
    assert.equal(m.batchSize, 256);
    assert.equal(m.optimizerSlotsPerParam, 0);
    assert.equal(m.optimizerBytes, 0);
    const bad = await post('/v1/models/validate?optimizer=lion', MLP);
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'validation_failed');
  });

  test('an invalid spec is a 422 naming the layer index, the field and the shapes', async () => {
    const noFlatten = await post('/v1/models/validate', { inputShape: [28, 28], layers: [{ type: 'dense', units: 10 }] });
    assert.equal(noFlatten.statusCode, 422, noFlatten.body);
    assert.equal(noFlatten.json().code, 'invalid_spec');
    assert.match(noFlatten.json().message, /^layers\[0\]/);
    assert.match(noFlatten.json().message, /\[28,\s?28\]/);

    const badUnits = await post('/v1/models/validate', { inputShape: [4], layers: [{ type: 'dense', units: 8 }, { type: 'dense', units: -3 }] });
    assert.equal(badUnits.statusCode, 422, badUnits.body);
    assert.match(badUnits.json().message, /^layers\[1\]\.units: /);
    assert.match(badUnits.json().message, /-3/);

    const unknownType = await post('/v1/models/validate', { inputShape: [4], layers: [{ type: 'transformer' }] });
    assert.equal(unknownType.statusCode, 422);
    assert.match(unknownType.json().message, /^layers\[0\]\.type: unknown layer type "transformer"/);

    const unknownField = await post('/v1/models/validate', { inputShape: [4], layers: [{ type: 'dense', units: 2, unitz: 3 }] });
    assert.equal(unknownField.statusCode, 422);
    assert.match(unknownField.json().message, /layers\[0\]\.unitz/);
  });

  test('JSON-level problems are a 400; non-finite numbers are refused', async () => {
    const noLayers = await post('/v1/models/validate', { inputShape: [4] });
    assert.equal(noLayers.statusCode, 400);
    assert.equal(noLayers.json().code, 'validation_failed');
    assert.match(noLayers.json().message, /layers/);
    const noType = await post('/v1/models/validate', { inputShape: [4], layers: [{ units: 3 }] });
    assert.equal(noType.statusCode, 400);
    const inf = await t.app.inject({
      method: 'POST', url: '/v1/models/validate', headers: { ...t.auth, 'content-type': 'application/json' },
      payload: '{"inputShape":[4],"layers":[{"type":"dropout","rate":1e400}]}',
    });
    assert.equal(inf.statusCode, 400);
    assert.equal(inf.json().code, 'non_finite_number');
  });

  test('over the limits: reported with reasons, not refused', async () => {
    const big = { inputShape: [1000], layers: [{ type: 'dense', units: 1000 }] };
    const res = await post('/v1/models/validate', big);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.withinLimits, false);
    assert.equal(body.summary.trainableParams, 1_001_000);
    assert.match(body.reasons.join('\n'), /1001000 trainable parameters, over maxParams 200000/);

    const wide = { inputShape: [100_000], layers: [{ type: 'dense', units: 1 }] };
    const mem = await post('/v1/models/validate?batchSize=1000', wide);
    assert.equal(mem.statusCode, 200, mem.body);
    assert.equal(mem.json().withinLimits, false);
    assert.match(mem.json().reasons.join('\n'), /bytes to train at batch size 1000, over maxMemoryBytes 67108864/);
  });
});

describe('stored models', () => {
  test('create, get, duplicate name 409, another tenant 404', async () => {
    const res = await post('/v1/models', { name: 'mlp', spec: MLP });
    assert.equal(res.statusCode, 201, res.body);
    const m = res.json();
    assert.match(m.id, /^[0-9a-f-]{36}$/);
    assert.equal(m.name, 'mlp');
    assert.deepEqual(m.spec, MLP);
    assert.equal(m.paramCount, MLP_PARAMS);
    assert.equal(m.summary.trainableParams, MLP_PARAMS);

    const got = await t.app.inject({ method: 'GET', url: `/v1/models/${m.id}`, headers: t.auth });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), m);

    const dup = await post('/v1/models', { name: 'mlp', spec: MLP });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().code, 'conflict');
    assert.match(dup.json().message, /"mlp" already exists/);

    const other = await t.keyFor('other');
    const theirs = await t.app.inject({ method: 'GET', url: `/v1/models/${m.id}`, headers: { authorization: `Bearer ${other}` } });
    assert.equal(theirs.statusCode, 404);
    assert.equal(theirs.json().code, 'not_found');
    // Names are per tenant.
    const same = await post('/v1/models', { name: 'mlp', spec: MLP }, `Bearer ${other}`);
    assert.equal(same.statusCode, 201, same.body);
  });

  test('an invalid spec is a 422 invalid_spec, one over maxParams a 422 limit_exceeded; bad bodies 400', async () => {
    const bad = await post('/v1/models', { name: 'bad', spec: { inputShape: [4], layers: [{ type: 'dense', units: 0 }] } });
    assert.equal(bad.statusCode, 422);
    assert.equal(bad.json().code, 'invalid_spec');
    assert.match(bad.json().message, /^layers\[0\]\.units/);
    const big = await post('/v1/models', { name: 'big', spec: { inputShape: [1000], layers: [{ type: 'dense', units: 1000 }] } });
    assert.equal(big.statusCode, 422);
    assert.equal(big.json().code, 'limit_exceeded');
    assert.match(big.json().message, /1001000 trainable parameters, over this tenant's maxParams of 200000/);
    const extra = await post('/v1/models', { name: 'x', spec: MLP, colour: 'red' });
    assert.equal(extra.statusCode, 400);
    const noName = await post('/v1/models', { spec: MLP });
    assert.equal(noName.statusCode, 400);
    assert.match(noName.json().message, /name/);
    const listed = await t.app.inject({ method: 'GET', url: '/v1/models?limit=100', headers: t.auth });
    assert.ok(!listed.json().models.some((x: { name: string }) => x.name === 'bad' || x.name === 'big'));
  });

  test('list pages newest first, only the tenant\'s own', async () => {
    const key = await t.keyFor('lister');
    const auth = `Bearer ${key}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post('/v1/models', { name: `m${i}`, spec: { inputShape: [2], layers: [{ type: 'dense', units: i + 1 }] } }, auth);
      assert.equal(res.statusCode, 201, res.body);
      ids.unshift(res.json().id);
    }
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const url: string = `/v1/models?limit=2${next ? `&after=${encodeURIComponent(next)}` : ''}`;
      const res = await t.app.inject({ method: 'GET', url, headers: { authorization: auth } });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      for (const m of body.models) {
        assert.equal(typeof m.paramCount, 'number');
        seen.push(m.id);
      }
      next = body.next;
    } while (next);
    assert.deepEqual(seen, ids);
  });

  test('the routes are in the API description', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const [path, method] of [['/v1/models/validate', 'post'], ['/v1/models', 'post'], ['/v1/models', 'get'], ['/v1/models/{id}', 'get']]) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      assert.deepEqual(op.tags, ['models']);
      assert.ok(op.summary);
      assert.ok(op.responses['400'] && op.responses['401']);
    }
    assert.ok(doc.paths['/v1/models/validate'].post.responses['422']);
  });
});
