/** Tiny data set files built in memory for upload tests: IDX, NPY, CSV, JSON. */

/** An IDX file of unsigned bytes with the given shape (big-endian header). */
export function idxU8(shape: readonly number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * shape.length);
  return out;
}

/** A NumPy .npy v1 file, little-endian: `<f4` for floats or `|u1` for class labels. */
export function npy(dtype: '<f4' | '|u1', shape: readonly number[], data: ArrayLike<number>): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const size = dtype === '<f4' ? 4 : 1;
  const out = new Uint8Array(10 + header.length + data.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i++) {
    if (dtype === '<f4') body.setFloat32(4 * i, data[i], true);
    else body.setUint8(i, data[i]);
  }
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
