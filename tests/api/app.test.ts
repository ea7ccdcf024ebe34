/**
 * The application shell: one JSON error shape with stable codes for every
 * kind of bad request, non-finite numbers refused everywhere, authentication
 * on every /v1 route, and the OpenAPI document listing every route.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { ERROR_CODES } from '../../src/shared/errors.ts';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t?.close();
});

function assertError(r: { statusCode: number; json(): unknown }, status: number, code: string, message?: RegExp): void {
  const body = r.json() as { statusCode: number; code: string; message: string };
  assert.equal(r.statusCode, status, JSON.stringify(body));
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'statusCode']);
  assert.equal(body.statusCode, status);
  assert.equal(body.code, code);
  assert.ok(code in ERROR_CODES, 'codes come from the one list');
  if (message) assert.match(body.message, message);
}

test('unknown routes answer 404 in the same JSON shape', async () => {
  assertError(await t.app.inject({ method: 'GET', url: '/v1/nothing', headers: t.auth }), 404, 'not_found', /no route GET \/v1\/nothing/);
  assertError(await t.app.inject({ method: 'GET', url: '/nowhere' }), 404, 'not_found');
});

test('every /v1 route needs a valid key; a wrong one gets 401 with no detail', async () => {
  for (const authorization of [undefined, 'Bearer', 'Basic dXNlcjpwYXNz', 'Bearer ty_not_a_key_but_long_enough', `Bearer ${t.key}x`]) {
    const r = await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: authorization ? { authorization } : {} });
    assertError(r, 401, 'unauthorized', /^unauthorized$/);
  }
  assert.equal((await t.app.inject({ method: 'GET', url: '/v1/jobs', headers: t.auth })).statusCode, 200);
});

test('non-finite numbers are refused in query strings and bodies, naming the field', async () => {
  for (const v of ['Infinity', '-Infinity', 'NaN', '1e400']) {
    const r = await t.app.inject({ method: 'GET', url: `/v1/jobs?limit=${v}`, headers: t.auth });
    assert.equal(r.statusCode, 400, `limit=${v}: ${r.body}`);
    assert.match(r.json().message, /limit/);
  }
  const body = '{"name":"x","spec":{"inputShape":[4],"layers":[{"type":"dropout","rate":1e400}]}}';
  const r = await t.app.inject({ method: 'POST', url: '/v1/models', headers: { ...t.auth, 'content-type': 'application/json' }, payload: body });
  assertError(r, 400, 'non_finite_number', /body\/spec\/layers\/0\/rate must be a finite number/);
});

test('malformed bodies, wrong content types and oversized bodies get 400, 415 and 413', async () => {
  assertError(await t.app.inject({ method: 'POST', url: '/v1/models/validate', headers: { ...t.auth, 'content-type': 'application/json' }, payload: '{"inputShape": [' }), 400, 'bad_request');
  assertError(await t.app.inject({ method: 'POST', url: '/v1/models/validate', headers: { ...t.auth, 'content-type': 'text/plain' }, payload: 'hello' }), 415, 'unsupported_media_type');
  const big = JSON.stringify({ inputShape: [1], layers: [{ type: 'dense', units: 1, name: 'x'.repeat(11 * 1024 * 1024) }] });
  assertError(await t.app.inject({ method: 'POST', url: '/v1/models/validate', headers: { ...t.auth, 'content-type': 'application/json' }, payload: big }), 413, 'payload_too_large', /larger than 10485760 bytes \(TRAINYARD_BODY_LIMIT\)/);
  assertError(await t.app.inject({ method: 'GET', url: '/v1/jobs/not-a-uuid', headers: t.auth }), 400, 'validation_failed', /params\/id/);
});

test('the OpenAPI document lists every /v1 route with its schemas and the error codes', async () => {
  const r = await t.app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(r.statusCode, 200);
  const doc = r.json() as { openapi: string; info: { description: string }; paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, unknown>; security?: unknown }>> };
  assert.match(doc.openapi, /^3\./);
  const routes = t.app.printRoutes({ commonPrefix: false });
  for (const path of ['/v1/datasets', '/v1/datasets/{id}', '/v1/models', '/v1/models/validate', '/v1/models/{id}', '/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/cancel', '/v1/jobs/{id}/metrics', '/v1/jobs/{id}/events', '/v1/jobs/{id}/checkpoints', '/v1/jobs/{id}/weights', '/v1/jobs/{id}/predict', '/v1/tenant']) {
    assert.ok(doc.paths[path], `${path} is documented (routes: ${routes.length} chars)`);
    for (const [method, op] of Object.entries(doc.paths[path])) {
      assert.ok(op.tags && op.tags.length > 0, `${method} ${path} has a tag`);
      assert.ok(op.responses['401'], `${method} ${path} documents its 401`);
    }
  }
  for (const code of Object.keys(ERROR_CODES)) assert.ok(doc.info.description.includes(`\`${code}\``), `error code ${code} is listed`);
  assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
});
