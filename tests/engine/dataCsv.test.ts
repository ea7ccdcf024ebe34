import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvReader, readCsv, readCsvSync, DataFormatError } from '../../src/engine/data/index.ts';
import type { CsvOptions } from '../../src/engine/data/index.ts';

function rejects(fn: () => unknown, code: string, re: RegExp, at: { row?: number; byte?: number; column?: string } = {}): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataFormatError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    for (const [k, v] of Object.entries(at)) assert.equal((e as unknown as Record<string, unknown>)[k], v, `${k} in ${e.message}`);
    return true;
  });
}

const opts: CsvOptions = { label: 'label' };

test('reads a CSV with the label column anywhere, CRLF or LF, quoted fields, trailing blank lines', () => {
  const ds = readCsvSync('a,label,"b"\r\n1,0,2.5\r\n-3e2,2,".5"\r\n\r\n', opts);
  assert.deepEqual(ds.sampleShape, [2]);
  assert.equal(ds.count, 2);
  assert.deepEqual(Array.from(ds.x), [1, 2.5, -300, 0.5]);
  assert.ok(ds.y instanceof Int32Array);
  assert.deepEqual(Array.from(ds.y), [0, 2]);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual(ds.labelShape, []);
  // No final newline, a UTF-8 BOM, spaces around numbers, quoted header names with commas and quotes.
  const d2 = readCsvSync('\ufeff"x, ""1""", label\n 4 ,1', { label: 'label' });
  assert.deepEqual(Array.from(d2.x), [4]);
  const d3 = readCsvSync('"x, ""1""",label\n7,0\n', { label: 'label', features: ['x, "1"'] });
  assert.deepEqual(Array.from(d3.x), [7]);
});

test('features selects and orders columns; labels: values gives float labels', () => {
  const ds = readCsvSync('a,b,c,t\n1,2,3,0.5\n4,5,6,-1.5\n', { label: 't', features: ['c', 'a'], labels: 'values' });
  assert.deepEqual(Array.from(ds.x), [3, 1, 6, 4]);
  assert.ok(ds.y instanceof Float32Array);
  assert.deepEqual(Array.from(ds.y), [0.5, -1.5]);
  assert.equal(ds.numClasses, undefined);
});

test('streams from chunks split anywhere, including inside quotes, CRLF and multi-byte characters', async () => {
  const text = 'é,"q\r\nx",label\r\n1,"2",0\r\n3,4,1\r\n5,"6",2';
  const bytes = new TextEncoder().encode(text);
  const whole = readCsvSync(bytes, opts);
  assert.deepEqual(Array.from(whole.x), [1, 2, 3, 4, 5, 6]);
  for (let size = 1; size <= 7; size++) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    async function* gen(): AsyncGenerator<Uint8Array> { for (const c of chunks) yield c; }
    const ds = await readCsv(gen(), opts);
    assert.deepEqual(Array.from(ds.x), Array.from(whole.x), `chunk size ${size}`);
    assert.deepEqual(Array.from(ds.y), [0, 1, 2]);
  }
  // Error locations survive chunking: the bad cell "x" is at byte 22 (é is two bytes).
  const bad = new TextEncoder().encode('é,b,label\r\n1,2,0\r\n3,x,1\r\n');
  for (let size = 1; size <= 5; size++) {
    const r = new CsvReader(opts);
    rejects(() => { for (let i = 0; i < bad.length; i += size) r.push(bad.subarray(i, i + size)); r.end(); }, 'not_numeric', /"x"/, { row: 3, column: 'b', byte: 21 });
  }
});

test('rejects every kind of bad cell, naming row, column and byte', () => {
  const h = 'a,b,label\n';
  rejects(() => readCsvSync(`${h}1,,0\n`, opts), 'empty_cell', /empty/, { row: 2, column: 'b', byte: 12 });
  rejects(() => readCsvSync(`${h}1,"",0\n`, opts), 'empty_cell', /empty/, { row: 2, column: 'b' });
  rejects(() => readCsvSync(`${h},1,0\n`, opts), 'empty_cell', /empty/, { row: 2, column: 'a' });
  rejects(() => readCsvSync(`${h}1,2,\n`, opts), 'empty_cell', /empty/, { row: 2, column: 'label' });
  rejects(() => readCsvSync(`${h}1,0x10,0\n`, opts), 'not_numeric', /"0x10"/, { row: 2, column: 'b' });
  rejects(() => readCsvSync(`${h}1,abc,0\n`, opts), 'not_numeric', /"abc"/);
  rejects(() => readCsvSync(`${h}1,1.2.3,0\n`, opts), 'not_numeric', /1\.2\.3/);
  rejects(() => readCsvSync(`${h}1,1e400,0\n`, opts), 'not_finite', /overflows/, { column: 'b' });
  rejects(() => readCsvSync(`${h}NaN,1,0\n`, opts), 'not_finite', /NaN/, { column: 'a' });
  rejects(() => readCsvSync(`${h}1,-Infinity,0\n`, opts), 'not_finite', /Infinity/);
  rejects(() => readCsvSync(`${h}1,2,0\n1,2\n`, opts), 'ragged', /2 fields, but the header has 3/, { row: 3, byte: 16 });
  rejects(() => readCsvSync(`${h}1,2,0,4\n`, opts), 'ragged', /more fields/, { row: 2, column: '#4' });
  rejects(() => readCsvSync(`${h}1,2,0\n\n1,2,0\n`, opts), 'ragged', /blank line/, { row: 3 });
  rejects(() => readCsvSync(`${h}1,2,-1\n`, opts), 'bad_label', /negative/, { row: 2, column: 'label' });
  rejects(() => readCsvSync(`${h}1,2,0.5\n`, opts), 'bad_label', /not an integer/, { row: 2 });
  rejects(() => readCsvSync(`${h}1,2,3\n`, { ...opts, numClasses: 3 }), 'bad_label', /out of range/);
  rejects(() => readCsvSync(`${h}1,2"3,0\n`, opts), 'bad_quote', /quote inside/, { row: 2, byte: 13 });
  rejects(() => readCsvSync(`${h}1,"2"3,0\n`, opts), 'bad_quote', /after a closing quote/);
  rejects(() => readCsvSync(`${h}1,"2,0\n`, opts), 'bad_quote', /ends inside a quoted field/);
});

test('rejects bad headers and enforces limits', () => {
  rejects(() => readCsvSync('', opts), 'bad_header', /empty/);
  rejects(() => readCsvSync('a,b\n1,2\n', opts), 'missing_column', /no label column "label"/, { row: 1 });
  rejects(() => readCsvSync('a,a,label\n', opts), 'bad_header', /appears twice/);
  rejects(() => readCsvSync('a,,label\n', opts), 'bad_header', /empty name/);
  rejects(() => readCsvSync('a,label\n1,0\n', { ...opts, features: ['z'] }), 'missing_column', /"z"/);
  rejects(() => readCsvSync('a,label\n1,0\n2,0\n3,0\n', { ...opts, maxSamples: 2 }), 'limit_exceeded', /maxSamples/);
  rejects(() => readCsvSync(`a,label\n${'1,0\n'.repeat(100)}`, { ...opts, maxBytes: 200 }), 'limit_exceeded', /maxBytes/);
  const r = new CsvReader({ ...opts, maxBytes: 10_000 });
  r.push('a,label\n');
  assert.throws(() => { for (let i = 0; i < 10_000; i++) r.push('1,0\n'); }, (e: unknown) => e instanceof DataFormatError && e.code === 'limit_exceeded');
});

test('a larger streamed CSV matches its values', async () => {
  const rows: string[] = ['f0,f1,f2,label'];
  for (let i = 0; i < 3000; i++) rows.push(`${i},${i / 7},${-i * 1e-3},${i % 10}`);
  const bytes = new TextEncoder().encode(rows.join('\n'));
  const chunks = function* (): Generator<Uint8Array> { for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096); };
  const ds = await readCsv(chunks(), opts);
  assert.equal(ds.count, 3000);
  assert.equal(ds.x[3 * 2999 + 1], Math.fround(2999 / 7));
  assert.equal(ds.y[2999], 9);
  assert.equal(ds.numClasses, 10);
});
