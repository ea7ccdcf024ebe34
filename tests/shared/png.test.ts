/** encodePng: decoded with a small inflate-based parser (chunks, CRCs, IHDR, filter-0 scanlines, pixels). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, encodePng, type PngImage } from '../../src/shared/png.ts';
import { decodePng } from '../helpers/png.ts';


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
