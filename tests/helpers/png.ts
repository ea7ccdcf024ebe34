/** A small PNG reader for tests: chunks and their CRCs, IHDR, inflated filter-0 scanlines, pixels. */
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { crc32, PNG_SIGNATURE } from '../../src/shared/png.ts';

export interface Decoded { width: number; height: number; bitDepth: number; colorType: number; chunks: string[]; data: Uint8Array }

export function decodePng(bytes: Uint8Array): Decoded {
  const png = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
