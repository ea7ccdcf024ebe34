/** encodePng: decoded with a small inflate-based parser (chunks, CRCs, IHDR, filter-0 scanlines, pixels). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { crc32, encodePng, PNG_SIGNATURE, type PngImage } from '../../src/workers/png.ts';

interface Decoded { width: number; height: number; bitDepth: number; colorType: number; chunks: string[]; data: Uint8Array }

function decodePng(png: Uint8Array): Decoded {
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: string[] = [];
  const idat: Uint8Array[] = [];
  let ihdr: Uint8Array | null = null;
  let o = 8;
  while (o < png.length) {
    const len = v.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    const body = png.subarray(o + 8, o + 8 + len);
    const crc = v.getUint32(o + 8 + len);
    assert.equal(crc, crc32(png.subarray(o + 4, o + 8 + len)), `CRC of ${type}`);
    chunks.push(type);
    if (type === 'IHDR') ihdr = body;
    if (type === 'IDAT') idat.push(body);
    o += 12 + len;
  }
  assert.equal(o, png.length);
  assert.ok(ihdr);
  const h = new DataView(ihdr.buffer, ihdr.byteOffset, 13);
  const width = h.getUint32(0);
  const height = h.getUint32(4);
  const bitDepth = ihdr[8];
  const colorType = ihdr[9];
  assert.deepEqual([ihdr[10], ihdr[11], ihdr[12]], [0, 0, 0]);
  const channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[colorType];
  const raw = new Uint8Array(inflateSync(Buffer.concat(idat)));
  const stride = width * channels;
  assert.equal(raw.length, (stride + 1) * height);
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (stride + 1)], 0, 'filter type 0');
    data.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, bitDepth, colorType, chunks, data };
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new TextEncoder().encode('IEND')), 0xae426082);
});

for (const channels of [1, 3, 4] as const) {
  test(`round trip ${channels} channel(s)`, () => {
    const width = 13;
    const height = 7;
    const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + 11) & 255);
    const img: PngImage = { width, height, channels, data };
    const d = decodePng(encodePng(img));
    assert.deepEqual(d.chunks, ['IHDR', 'IDAT', 'IEND']);
    assert.deepEqual([d.width, d.height, d.bitDepth, d.colorType], [width, height, 8, { 1: 0, 3: 2, 4: 6 }[channels]]);
    assert.deepEqual(d.data, data);
  });
}

test('a 1x1 image and the IEND chunk bytes', () => {
  const png = encodePng({ width: 1, height: 1, channels: 1, data: Uint8Array.of(200) });
  assert.deepEqual([...png.subarray(png.length - 12)], [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  assert.deepEqual(decodePng(png).data, Uint8Array.of(200));
});

test('rejects bad sizes and channel counts', () => {
  assert.throws(() => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) }), /needs 4 bytes/);
  assert.throws(() => encodePng({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) }), RangeError);
  assert.throws(() => encodePng({ width: 1, height: 1, channels: 2 as 1, data: new Uint8Array(2) }), /channels/);
});
