/**
 * The data set routes through HTTP, in the configuration the environment
 * selects (embedded by default; DATABASE_URL / REDIS_URL for Postgres and Redis).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { multipartBody, type FormPart } from '../helpers/multipart.ts';
import { idxU8, npy, utf8 } from '../helpers/dataset-files.ts';

const fixture = (name: string): Uint8Array => readFileSync(new URL(`../fixtures/datasets/${name}`, import.meta.url));

const file = (name: string, content: Uint8Array, filename = `${name}.bin`): FormPart => ({ name, filename, content });
const field = (name: string, value: string): FormPart => ({ name, value });

/** 6 images of 2x3 bytes, labels 0,1,2,0,1,0. */
const IDX_X = idxU8([6, 2, 3], Array.from({ length: 36 }, (_, i) => (i * 7) % 256));
const IDX_Y = idxU8([6], [0, 1, 2, 0, 1, 0]);

let t: TestApp;

async function upload(parts: FormPart[], key?: string) {
  const { payload, headers } = multipartBody(parts);
  return t.app.inject({
    method: 'POST',
    url: '/v1/datasets',
    payload,
    headers: { ...headers, authorization: key ? `Bearer ${key}` : t.auth.authorization },
  });
}

function sha256(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

before(async () => {
  t = await createTestApp();
});
after(async () => {
  await t.close();
});

describe('POST /v1/datasets', () => {
  test('IDX, plain: 201 with shapes, counts, classes, bytes and sha256', async () => {
    const res = await upload([field('format', 'idx'), field('name', 'tiny idx'), file('x', IDX_X), file('y', IDX_Y)]);
    assert.equal(res.statusCode, 201, res.body);
    const d = res.json();
    assert.match(d.id, /^[0-9a-f-]{36}$/);
    assert.equal(d.name, 'tiny idx');
    assert.equal(d.format, 'idx');
    assert.deepEqual(d.sampleShape, [2, 3]);
    assert.deepEqual(d.labelShape, []);
    assert.equal(d.count, 6);
    assert.equal(d.numClasses, 3);
    assert.deepEqual(d.classCounts, [3, 2, 1]);
    assert.equal(d.bytes, IDX_X.length + IDX_Y.length);
    assert.equal(d.sha256, sha256(IDX_X, IDX_Y));
    assert.equal(d.status, 'ready');
    assert.ok(!Number.isNaN(Date.parse(d.createdAt)));
  });

  test('IDX, gzipped, files before the fields and y before x: stored decompressed', async () => {
    const res = await upload([
      file('y', gzipSync(IDX_Y), 'y.gz'),
      file('x', gzipSync(IDX_X), 'x.gz'),
      field('numClasses', '10'),
      field('name', 'gz idx'),
      field('format', 'idx'),
    ]);
    assert.equal(res.statusCode, 201, res.body);
    const d = res.json();
    assert.equal(d.count, 6);
    assert.equal(d.numClasses, 10);
    assert.deepEqual(d.classCounts, [3, 2, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(d.options, { numClasses: 10 });
    assert.equal(d.bytes, IDX_X.length + IDX_Y.length);
    assert.equal(d.sha256, sha256(IDX_X, IDX_Y), 'the checksum is over the decompressed bytes, x then y');
    // The content is in Postgres, decompressed, in part order.
    const chunks = await t.db.prisma.datasetChunk.findMany({ where: { datasetId: d.id }, orderBy: [{ part: 'asc' }, { seq: 'asc' }] });
    assert.deepEqual(chunks.map((c) => c.part), ['x', 'y']);
    assert.deepEqual(new Uint8Array(chunks[0].data), IDX_X);
    assert.deepEqual(new Uint8Array(chunks[1].data), IDX_Y);
  });

  test('CSV with labelColumn', async () => {
    const csv = fixture('tiny.csv');
    const res = await upload([field('format', 'csv'), field('name', 'tiny csv'), field('labelColumn', 'label'), file('file', csv, 'tiny.csv')]);
    assert.equal(res.statusCode, 201, res.body);
    const d = res.json();
    assert.deepEqual(d.sampleShape, [3]);
    assert.equal(d.count, 4);
    assert.equal(d.numClasses, 3);
    assert.deepEqual(d.classCounts, [1, 2, 1]);
    assert.deepEqual(d.options, { labelColumn: 'label' });
    assert.equal(d.sha256, sha256(csv));
  });

  test('CSV, gzipped, value labels', async () => {
    const res = await upload([
      field('format', 'csv'), field('name', 'regression'), field('labelColumn', 'y'), field('labels', 'values'),
      file('file', gzipSync(utf8('a,y\n1,0.5\n2,1.5\n3,-2\n')), 'r.csv.gz'),
    ]);
    assert.equal(res.statusCode, 201, res.body);
    const d = res.json();
    assert.equal(d.count, 3);
    assert.deepEqual(d.sampleShape, [1]);
    assert.equal(d.numClasses, null);
    assert.equal(d.classCounts, null);
  });

  test('NPY: float samples and byte labels', async () => {
    const x = npy('<f4', [4, 2], [0, 1, 1, 0, 0.5, 0.25, -1, 2]);
    const y = npy('|u1', [4], [1, 0, 1, 1]);
    const res = await upload([field('format', 'npy'), field('name', 'tiny npy'), file('x', x, 'x.npy'), file('y', gzipSync(y), 'y.npy.gz')]);
    assert.equal(res.statusCode, 201, res.body);
    const d = res.json();
    assert.deepEqual(d.sampleShape, [2]);
    assert.equal(d.count, 4);
    assert.deepEqual(d.classCounts, [1, 3]);
    assert.equal(d.sha256, sha256(x, y));
  });

  test('JSON', async () => {
    const res = await upload([field('format', 'json'), field('name', 'tiny json'), file('file', fixture('tiny.json'), 'tiny.json')]);
    assert.equal(res.statusCode, 201, res.body);
    const d = res.json();
    assert.deepEqual(d.sampleShape, [2]);
    assert.equal(d.count, 3);
    assert.deepEqual(d.classCounts, [1, 2]);
  });

  test('a bad format name is a 400 naming the formats', async () => {
    const res = await upload([field('format', 'parquet'), field('name', 'n'), file('file', utf8('a'))]);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'validation_failed');
    assert.match(res.json().message, /format must be one of idx, csv, npy, json; got "parquet"/);
  });

  test('a missing file is a 400 naming it', async () => {
    const res = await upload([field('format', 'idx'), field('name', 'n'), file('x', IDX_X)]);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'validation_failed');
    assert.match(res.json().message, /missing: "y"/);
  });

  test('missing fields, unknown and repeated parts, a file the format does not take: 400 naming them', async () => {
    const cases: Array<[FormPart[], RegExp]> = [
      [[file('x', IDX_X), file('y', IDX_Y)], /missing field\(s\): "format", "name"/],
      [[field('format', 'idx'), field('name', 'n'), field('colour', 'red')], /unknown field "colour"/],
      [[field('format', 'idx'), field('name', 'n'), file('z', IDX_X)], /unknown file "z"/],
      [[field('format', 'idx'), field('name', 'a'), field('name', 'b')], /the field "name" is given more than once/],
      [[field('format', 'idx'), file('x', IDX_X), file('x', IDX_X)], /the file "x" is given more than once/],
      [[field('format', 'csv'), field('name', 'n'), field('labelColumn', 'label'), file('x', IDX_X)], /format csv takes the file\(s\) "file"; not expected: "x"/],
      [[file('x', IDX_X), field('format', 'json')], /format json takes the file\(s\) "file"; not expected: "x"/],
      [[field('format', 'csv'), field('name', 'n'), file('file', fixture('tiny.csv'))], /format csv needs the field "labelColumn"/],
      [[field('format', 'idx'), field('name', 'n'), field('labelColumn', 'l'), file('x', IDX_X), file('y', IDX_Y)], /labelColumn applies to format csv only/],
      [[field('format', 'idx'), field('name', 'n'), field('numClasses', 'ten'), file('x', IDX_X), file('y', IDX_Y)], /numClasses must be a whole number/],
      [[field('format', 'idx'), field('name', 'n'), field('labels', 'both'), file('x', IDX_X), file('y', IDX_Y)], /labels must be "classes" or "values"/],
      [[field('format', 'idx'), field('name', 'n'), field('x', 'not a file'), file('y', IDX_Y)], /"x" must be sent as a file/],
      [[field('format', 'idx'), field('name', '   '), file('x', IDX_X), file('y', IDX_Y)], /name must be 1 to 200 characters/],
    ];
    for (const [parts, message] of cases) {
      const res = await upload(parts);
      assert.equal(res.statusCode, 400, `${message}: ${res.body}`);
      assert.equal(res.json().code, 'validation_failed');
      assert.match(res.json().message, message);
    }
  });

  test('a ragged CSV row is a 422 naming the file and the row', async () => {
    const res = await upload([field('format', 'csv'), field('name', 'n'), field('labelColumn', 'label'), file('file', fixture('ragged.csv'))]);
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().code, 'invalid_data');
    assert.match(res.json().message, /^file: row 4\b/);
  });

  test('a non-numeric CSV cell is a 422 naming the row and column', async () => {
    const res = await upload([field('format', 'csv'), field('name', 'n'), field('labelColumn', 'label'), file('file', gzipSync(fixture('not-numeric.csv')))]);
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().code, 'invalid_data');
    assert.match(res.json().message, /row 3, column "b"/);
    assert.match(res.json().message, /abc/);
  });

  test('images and labels that disagree in count are a 422', async () => {
    const res = await upload([field('format', 'idx'), field('name', 'n'), file('x', IDX_X), file('y', idxU8([5], [0, 1, 2, 0, 1]))]);
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().code, 'invalid_data');
    assert.match(res.json().message, /^x and y: 6 images but 5 labels/);
  });

  test('a truncated IDX file is a 422 naming the file and byte; a corrupt gzip stream is a 422', async () => {
    const res = await upload([field('format', 'idx'), field('name', 'n'), file('x', IDX_X.subarray(0, 30)), file('y', IDX_Y)]);
    assert.equal(res.statusCode, 422, res.body);
    assert.match(res.json().message, /^x: byte 30: /);
    const gz = gzipSync(IDX_X);
    const res2 = await upload([field('format', 'idx'), field('name', 'n'), file('x', gz.subarray(0, gz.length - 12)), file('y', IDX_Y)]);
    assert.equal(res2.statusCode, 422, res2.body);
    assert.equal(res2.json().code, 'invalid_data');
    assert.match(res2.json().message, /file "x": the gzip stream is corrupt or truncated/);
  });

  test('a label over numClasses is a 422', async () => {
    const res = await upload([field('format', 'idx'), field('name', 'n'), field('numClasses', '2'), file('x', IDX_X), file('y', IDX_Y)]);
    assert.equal(res.statusCode, 422, res.body);
    assert.match(res.json().message, /^y: row 2: class label 2 is out of range for numClasses 2/);
  });

  test('a multipart body cut short is a 400, gzipped or not', async () => {
    for (const x of [IDX_X, gzipSync(Buffer.alloc(5000, 7))]) {
      const { payload, headers } = multipartBody([field('format', 'idx'), field('name', 'n'), file('x', x), file('y', IDX_Y)]);
      const cut = payload.subarray(0, payload.length - IDX_Y.length - 200);
      const res = await t.app.inject({
        method: 'POST', url: '/v1/datasets', payload: cut, headers: { ...headers, 'content-length': String(cut.length), ...t.auth },
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().code, 'bad_request');
      assert.match(res.json().message, /the multipart body is malformed or ended early/);
    }
  });

  test('not multipart is a 415; no key is a 401', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: { format: 'idx' }, headers: t.auth });
    assert.equal(res.statusCode, 415, res.body);
    assert.equal(res.json().code, 'unsupported_media_type');
    const { payload, headers } = multipartBody([field('format', 'idx')]);
    const res2 = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload, headers });
    assert.equal(res2.statusCode, 401);
  });
});

describe('GET, list and DELETE /v1/datasets', () => {
  test('list pages newest first with a cursor, and only the tenant\'s own', async () => {
    const other = await t.keyFor('list-tenant');
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await upload([field('format', 'idx'), field('name', `page ${i}`), file('x', IDX_X), file('y', IDX_Y)], other);
      assert.equal(res.statusCode, 201, res.body);
      mine.unshift(res.json().id);
    }
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const qs: string = next ? `?limit=2&after=${encodeURIComponent(next)}` : '?limit=2';
      const res = await t.app.inject({ method: 'GET', url: `/v1/datasets${qs}`, headers: { authorization: `Bearer ${other}` } });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.ok(body.datasets.length <= 2);
      seen.push(...body.datasets.map((d: { id: string }) => d.id));
      next = body.next;
      pages++;
    } while (next);
    assert.equal(pages, 3);
    assert.deepEqual(seen, mine);

    const bad = await t.app.inject({ method: 'GET', url: '/v1/datasets?after=bm9wZQ', headers: { authorization: `Bearer ${other}` } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /after is not a cursor/);
    const tooMany = await t.app.inject({ method: 'GET', url: '/v1/datasets?limit=1000', headers: t.auth });
    assert.equal(tooMany.statusCode, 400);
  });

  test('get one; another tenant gets 404', async () => {
    const res = await upload([field('format', 'idx'), field('name', 'mine'), file('x', IDX_X), file('y', IDX_Y)]);
    const id = res.json().id;
    const got = await t.app.inject({ method: 'GET', url: `/v1/datasets/${id}`, headers: t.auth });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), res.json());
    const other = await t.keyFor('other');
    const theirs = await t.app.inject({ method: 'GET', url: `/v1/datasets/${id}`, headers: { authorization: `Bearer ${other}` } });
    assert.equal(theirs.statusCode, 404);
    assert.equal(theirs.json().code, 'not_found');
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: { authorization: `Bearer ${other}` } });
    assert.equal(del.statusCode, 404);
    const list = await t.app.inject({ method: 'GET', url: '/v1/datasets?limit=100', headers: { authorization: `Bearer ${other}` } });
    assert.ok(!list.json().datasets.some((d: { id: string }) => d.id === id));
    const unknown = await t.app.inject({ method: 'GET', url: '/v1/datasets/00000000-0000-4000-8000-000000000000', headers: t.auth });
    assert.equal(unknown.statusCode, 404);
  });

  test('delete: 409 while a queued job uses it, 204 after, then 404 and gone from the list', async () => {
    const res = await upload([field('format', 'idx'), field('name', 'busy'), file('x', IDX_X), file('y', IDX_Y)]);
    const id = res.json().id;
    const tenant = await t.db.prisma.tenant.findUniqueOrThrow({ where: { name: 'default' } });
    const job = await t.db.prisma.job.create({
      data: { tenantId: tenant.id, type: 'train', datasetId: id, spec: {}, training: {}, status: 'queued', maxAttempts: 1 },
    });
    const busy = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: t.auth });
    assert.equal(busy.statusCode, 409, busy.body);
    assert.equal(busy.json().code, 'conflict');
    await t.db.prisma.job.update({ where: { id: job.id }, data: { status: 'running' } });
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: t.auth })).statusCode, 409);
    await t.db.prisma.job.update({ where: { id: job.id }, data: { status: 'succeeded' } });
    const del = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: t.auth });
    assert.equal(del.statusCode, 204, del.body);
    assert.equal(del.body, '');
    assert.equal((await t.app.inject({ method: 'GET', url: `/v1/datasets/${id}`, headers: t.auth })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: t.auth })).statusCode, 404);
    assert.equal(await t.db.prisma.datasetChunk.count({ where: { datasetId: id } }), 0, 'the content is dropped');
  });

  test('the routes are in the API description', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    const doc = res.json();
    const post = doc.paths['/v1/datasets'].post;
    assert.deepEqual(post.tags, ['datasets']);
    assert.ok(post.requestBody.content['multipart/form-data'], JSON.stringify(post.requestBody));
    assert.ok(post.responses['413'] && post.responses['422']);
    assert.ok(doc.paths['/v1/datasets/{id}'].get && doc.paths['/v1/datasets/{id}'].delete);
  });
});
