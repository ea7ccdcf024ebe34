import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readNpy, npyDataset, DataFormatError } from '../../src/engine/data/index.ts';

// Written by numpy 1.24 (np.save / np.lib.format.write_array), base64-encoded:
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const NPY = {
  // np.array([[0.5,-1.25,3],[4,5e-3,6]], dtype='<f4'), v1.0
  xF4v1: b64('k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAA/AACgvwAAQEAAAIBACtejOwAAwEA='),
  // np.array([2,0], dtype='<i8'), v1.0
  yI8v1: b64('k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoCAAAAAAAAAAAAAAAAAAAA'),
  // np.array([[[1,2],[3,4]],[[250,251],[252,253]]], dtype='u1'), v2.0
  xU1v2: b64('k05VTVBZAgB0AAAAeydkZXNjcic6ICd8dTEnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMiwgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAgME+vv8/Q=='),
  // np.array([1.5,-2.5], dtype='<f8'), v3.0
  xF8v3: b64('k05VTVBZAwB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAATA'),
  // np.asfortranarray(np.array([[1,2],[3,4]], dtype='<f4'))
  fortran: b64('k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA/AABAQAAAAEAAAIBA'),
  // np.array([1,2], dtype='>f4')
  big: b64('k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/gAAAQAAAAA=='),
};

/** A handmade v1 file with the given header dict and data bytes. */
function npy(header: string, data: ArrayLike<number> = []): Uint8Array {
  const h = new TextEncoder().encode(`${header}\n`);
  const out = new Uint8Array(10 + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10);
  out.set(data, 10 + h.length);
  return out;
}

function rejects(fn: () => unknown, code: string, re: RegExp, at: { row?: number; byte?: number } = {}): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataFormatError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    for (const [k, v] of Object.entries(at)) assert.equal((e as unknown as Record<string, unknown>)[k], v, `${k} in ${e.message}`);
    return true;
  });
}

test('reads numpy-written files of versions 1, 2 and 3', () => {
  const x = readNpy(NPY.xF4v1);
  assert.equal(x.dtype, '<f4');
  assert.deepEqual(x.shape, [2, 3]);
  assert.deepEqual(Array.from(x.data as Float32Array), [0.5, -1.25, 3, 4, Math.fround(5e-3), 6]);
  const y = readNpy(NPY.yI8v1);
  assert.deepEqual(Array.from(y.data as BigInt64Array), [2n, 0n]);
  const u = readNpy(NPY.xU1v2);
  assert.deepEqual(u.shape, [2, 2, 2]);
  assert.deepEqual(Array.from(u.data as Uint8Array), [1, 2, 3, 4, 250, 251, 252, 253]);
  assert.deepEqual(Array.from(readNpy(NPY.xF8v3).data as Float64Array), [1.5, -2.5]);
});

test('npyDataset pairs features and labels', () => {
  const ds = npyDataset(readNpy(NPY.xF4v1), readNpy(NPY.yI8v1));
  assert.deepEqual(ds.sampleShape, [3]);
  assert.equal(ds.count, 2);
  assert.deepEqual(Array.from(ds.y), [2, 0]);
  assert.equal(ds.numClasses, 3);
  const img = npyDataset(readNpy(NPY.xU1v2), readNpy(NPY.yI8v1), { numClasses: 5 });
  assert.deepEqual(img.sampleShape, [2, 2]);
  assert.equal(img.x[7], 253);
  assert.equal(img.numClasses, 5);
  const reg = npyDataset(readNpy(NPY.xF8v3), readNpy(NPY.xF8v3), { labels: 'values' });
  assert.deepEqual(Array.from(reg.y), [1.5, -2.5]);
  assert.deepEqual(reg.sampleShape, []);
  rejects(() => npyDataset(readNpy(NPY.xU1v2), readNpy(NPY.xF8v3)), 'bad_label', /not an integer/, { row: 0 });
  rejects(() => npyDataset(readNpy(NPY.xF4v1), readNpy(NPY.yI8v1), { numClasses: 2 }), 'bad_label', /out of range/, { row: 0 });
  rejects(() => npyDataset(readNpy(NPY.xF4v1), readNpy(npy("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", [1, 0xff]))), 'bad_label', /negative/, { row: 1 });
  rejects(() => npyDataset(readNpy(NPY.xF4v1), readNpy(NPY.xU1v2)), 'bad_label', /shape \[2\] or \[2, 1\]/);
  rejects(() => npyDataset(readNpy(NPY.xF4v1), readNpy(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", [0, 1, 2]))), 'count_mismatch', /2 samples but 3 labels/);
});

test('rejects what it does not support, with clear messages', () => {
  rejects(() => readNpy(NPY.fortran), 'unsupported', /fortran_order is True/);
  rejects(() => readNpy(NPY.big), 'unsupported', /big-endian/);
  rejects(() => readNpy(npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0, 0, 0, 0, 0])), 'unsupported', /"\|O"/);
  rejects(() => readNpy(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }")), 'unsupported', /structured/);
  rejects(() => readNpy(gzipSync(NPY.xF4v1)), 'gzip', /gunzip/);
});

test('rejects malformed files with the byte offset', () => {
  rejects(() => readNpy(Uint8Array.of(1, 2, 3)), 'truncated', /at least 10/);
  rejects(() => readNpy(new TextEncoder().encode('PK\x03\x04 not an npy file')), 'bad_magic', /NUMPY/, { byte: 0 });
  const v9 = NPY.xF4v1.slice();
  v9[6] = 9;
  rejects(() => readNpy(v9), 'unsupported', /version 9/, { byte: 6 });
  rejects(() => readNpy(NPY.xF4v1.subarray(0, NPY.xF4v1.length - 1)), 'truncated', /needs 24 data bytes, got 23/);
  rejects(() => readNpy(Uint8Array.from([...NPY.xF4v1, 0])), 'trailing_bytes', /1 bytes follow/, { byte: NPY.xF4v1.length });
  rejects(() => readNpy(npy("{'descr': '<f4', 'shape': (1,), }", [0, 0, 0, 0])), 'bad_header', /fortran_order/);
  rejects(() => readNpy(npy("{'descr': '<f4', 'fortran_order': False, }", [0, 0, 0, 0])), 'bad_header', /shape/);
  rejects(() => readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }")), 'bad_header', /"-1"/);
  rejects(() => readNpy(npy("['descr']")), 'bad_header', /dict literal/);
  const nanHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }";
  const nan = npy(nanHeader, [0, 0, 0, 0, 0, 0, 0x80, 0x7f]);
  rejects(() => readNpy(nan), 'not_finite', /Infinity/, { row: 1, byte: nan.length - 4 });
  rejects(() => readNpy(NPY.xF4v1, { maxSamples: 1 }), 'limit_exceeded', /maxSamples/);
  rejects(() => readNpy(NPY.xF4v1, { maxBytes: 100 }), 'limit_exceeded', /maxBytes/);
});
