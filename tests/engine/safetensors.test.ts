import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  encodeSafetensors, decodeSafetensors, safetensorsHeader, safetensorsHeaderLength, SafetensorsError,
} from '../../src/engine/io/index.ts';
import type { SafetensorsTensor } from '../../src/engine/io/index.ts';

const fixturePath = fileURLToPath(new URL('../fixtures/safetensors/python.safetensors', import.meta.url));

test('decodes a file written by the Python spec implementation (make_fixture.py)', () => {
  const bytes = new Uint8Array(readFileSync(fixturePath));
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt', source: 'make_fixture.py' });
  const w = tensors['layers.0.weight'];
  assert.equal(w.dtype, 'F32');
  assert.deepEqual(w.shape, [2, 3]);
  assert.deepEqual(Array.from(w.data as Float32Array), [-0.5, -0.25, 0, 0.25, 0.5, 0.75]);
  assert.deepEqual(Array.from(tensors['layers.0.bias'].data as Float32Array), [1.5, -2.25, Math.fround(3e-8)]);
  assert.deepEqual(Array.from(tensors.step.data as BigInt64Array), [-3n, 0n, 2n ** 40n]);
  assert.deepEqual(tensors.scale.shape, []);
  assert.deepEqual(Array.from(tensors.scale.data as Float64Array), [Math.PI]);
  assert.deepEqual(Array.from(tensors.mask.data as Uint8Array), [1, 0, 1]);
  assert.deepEqual(Array.from(tensors.half.data as Uint16Array), [0x3c00, 0xb800]);
  assert.deepEqual(tensors.pixels.shape, [2, 2]);
  assert.deepEqual(Array.from(tensors.pixels.data as Uint8Array), [0, 127, 128, 255]);
  assert.deepEqual(tensors.empty.shape, [0, 4]);
  assert.equal(tensors.empty.data.length, 0);
  // Our writer lays the same tensors out byte for byte as the Python writer.
  assert.deepEqual(encodeSafetensors(tensors, metadata), bytes);
});

test('the header can be read from a prefix of the file', () => {
  const bytes = new Uint8Array(readFileSync(fixturePath));
  const need = safetensorsHeaderLength(bytes.subarray(0, 8));
  assert.equal(need % 8, 0);
  const h = safetensorsHeader(bytes.subarray(0, need), bytes.length);
  assert.equal(h.dataOffset, need);
  assert.deepEqual(h.tensors['layers.0.weight'].shape, [2, 3]);
  assert.deepEqual(Object.keys(h.tensors).sort(), ['empty', 'half', 'layers.0.bias', 'layers.0.weight', 'mask', 'pixels', 'scale', 'step']);
});

test('round-trips every dtype, metadata and empty tensors; output is 8-aligned and contiguous', () => {
  const tensors: Record<string, SafetensorsTensor> = {
    a: { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, -2, 3.5, Number.NaN) },
    b: { dtype: 'F64', shape: [1], data: Float64Array.of(1e-300) },
    c: { dtype: 'I64', shape: [2], data: BigInt64Array.of(-1n, 9007199254740993n) },
    d: { dtype: 'I32', shape: [3], data: Int32Array.of(-7, 0, 2 ** 31 - 1) },
    e: { dtype: 'U8', shape: [1], data: Uint8Array.of(200) },
    f: { dtype: 'BF16', shape: [1], data: Uint16Array.of(0x3f80) },
    g: { dtype: 'I8', shape: [], data: Int8Array.of(-128) },
    h: { dtype: 'U64', shape: [0], data: new BigUint64Array(0) },
    i: { dtype: 'I16', shape: [1, 1], data: Int16Array.of(-300) },
  };
  // Views into a larger, oddly offset buffer are encoded from their own window.
  const big = new Float32Array(8);
  big.set([9, 8, 7], 5);
  tensors.view = { dtype: 'F32', shape: [3], data: big.subarray(5) };
  const bytes = encodeSafetensors(tensors, { note: 'héllo' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { note: 'héllo' });
  for (const [k, t] of Object.entries(tensors)) {
    assert.equal(back.tensors[k].dtype, t.dtype, k);
    assert.deepEqual(back.tensors[k].shape, t.shape, k);
    assert.deepEqual(Array.from(back.tensors[k].data as ArrayLike<unknown>), Array.from(t.data as ArrayLike<unknown>), k);
  }
  const h = safetensorsHeader(bytes);
  // Largest element size first: every tensor is aligned to its own element size.
  for (const [k, e] of Object.entries(h.tensors)) {
    assert.equal((h.dataOffset + e.dataOffsets[0]) % (back.tensors[k].data.BYTES_PER_ELEMENT), 0, k);
  }
  // Decoding a view of a larger buffer works too.
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes, 3);
  assert.deepEqual(Array.from(decodeSafetensors(padded.subarray(3)).tensors.d.data as Int32Array), [-7, 0, 2 ** 31 - 1]);
});

test('encode rejects inconsistent tensors, naming them', () => {
  const bad: [Record<string, SafetensorsTensor>, RegExp][] = [
    [{ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }, /"w".*4 elements but the data has 3/],
    [{ w: { dtype: 'F32', shape: [2], data: new Float64Array(2) } }, /"w".*Float32Array/],
    [{ w: { dtype: 'Q4' as 'F32', shape: [1], data: new Float32Array(1) } }, /"w".*unknown dtype/],
    [{ w: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }, /"w".*non-negative integer/],
    [{ __metadata__: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }, /not a valid tensor name/],
  ];
  for (const [t, re] of bad) assert.throws(() => encodeSafetensors(t), (e: unknown) => e instanceof SafetensorsError && re.test(e.message));
});

/** Build a file from a raw header object and a data section of `dataBytes` bytes. */
function craft(header: unknown, dataBytes: number, rawHeader?: Uint8Array): Uint8Array {
  const json = rawHeader ?? new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('decode validates strictly, naming the tensor and the reason', () => {
  const f32 = (b: number, e: number, shape = [(e - b) / 4]) => ({ dtype: 'F32', shape, data_offsets: [b, e] });
  const cases: [Uint8Array, RegExp, string?][] = [
    [new Uint8Array(5), /at least 8 bytes/],
    [(() => { const b = craft({}, 0); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /runs past the end/],
    [(() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true); return b; })(), /exceeds the limit/],
    [craft(null, 0, new TextEncoder().encode('  {}    ')), /must start with "\{"/],
    [craft(null, 0, new TextEncoder().encode('{"a":1,}')), /not valid JSON/],
    [craft(null, 0, Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d)), /UTF-8/],
    [craft([], 0), /must start with "\{", got "\[\]"/],
    [craft({ w: { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }, 4), /"w".*unknown dtype/, 'w'],
    [craft({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), /"w".*shape\[0\]/, 'w'],
    [craft({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), /"w".*data_offsets must be two/, 'w'],
    [craft({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /"w".*end before/, 'w'],
    [craft({ w: f32(0, 8, [3]) }, 8), /"w".*needs 12 bytes .* span 8/, 'w'],
    [craft({ a: f32(0, 8), b: f32(4, 12) }, 12), /"b".*overlap tensor "a"/, 'b'],
    [craft({ a: f32(0, 8), b: f32(12, 16) }, 16), /"b".*gap after tensor "a"/, 'b'],
    [craft({ a: f32(4, 8) }, 8), /"a".*gap after the start/, 'a'],
    [craft({ a: f32(0, 8) }, 12), /"a" ends at data offset 8 but the data section has 12 bytes/],
    [craft({ a: f32(0, 16) }, 8), /past the end of the data/],
    [craft({ __metadata__: { n: 1 } }, 0), /__metadata__\.n must be a string/],
  ];
  for (const [bytes, re, tensor] of cases) {
    assert.throws(() => decodeSafetensors(bytes), (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, String(e));
      assert.match(e.message, re);
      assert.equal(e.tensor, tensor);
      return true;
    });
  }
});
