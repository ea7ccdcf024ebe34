/**
 * IDX (the MNIST / Fashion-MNIST format): two zero bytes, a dtype byte, the
 * number of dimensions, each dimension as a big-endian u32, then the data,
 * big-endian, row-major.
 *
 * The engine does no I/O and no decompression: IDX files usually ship
 * gzipped, and callers gunzip them (node:zlib `gunzipSync`, or a
 * DecompressionStream) before calling readIdx, which recognises the gzip magic
 * (1f 8b) and says so.
 */
import { DataFormatError } from './dataFormatError.ts';
import { checkBytes, checkSamples } from './limits.ts';
import { checkClassLabel, inferNumClasses } from './classLabel.ts';
import type { Dataset, ReadLimits } from './types.ts';

export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const IDX_DTYPES: Record<number, { dtype: IdxDtype; size: number }> = {
  0x08: { dtype: 'u8', size: 1 },
  0x09: { dtype: 'i8', size: 1 },
  0x0b: { dtype: 'i16', size: 2 },
  0x0c: { dtype: 'i32', size: 4 },
  0x0d: { dtype: 'f32', size: 4 },
  0x0e: { dtype: 'f64', size: 8 },
};

/** Parse one (already decompressed) IDX file. */
export function readIdx(bytes: Uint8Array, limits: ReadLimits = {}): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new DataFormatError('gzip', 'this is gzip-compressed data; gunzip it before reading IDX (the engine does no decompression)', { byte: 0 });
  }
  checkBytes(limits, bytes.length, 'the IDX input');
  if (bytes.length < 4) throw new DataFormatError('truncated', `an IDX header needs at least 4 bytes, got ${bytes.length}`, { byte: bytes.length });
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFormatError('bad_magic', `IDX files start with two zero bytes, got ${hex(bytes[0])} ${hex(bytes[1])}`, { byte: 0 });
  }
  const t = IDX_DTYPES[bytes[2]];
  if (t === undefined) {
    throw new DataFormatError('unsupported', `unknown IDX dtype byte ${hex(bytes[2])} (known: 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double)`, { byte: 2 });
  }
  const ndim = bytes[3];
  if (ndim === 0) throw new DataFormatError('bad_header', 'IDX file has 0 dimensions', { byte: 3 });
  const headerEnd = 4 + 4 * ndim;
  if (bytes.length < headerEnd) {
    throw new DataFormatError('truncated', `IDX header with ${ndim} dimensions needs ${headerEnd} bytes, got ${bytes.length}`, { byte: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    shape.push(n);
    count *= n;
  }
  checkSamples(limits, shape[0]);
  const dataBytes = count * t.size;
  const have = bytes.length - headerEnd;
  if (have < dataBytes) {
    throw new DataFormatError('truncated', `shape [${shape.join(', ')}] of ${t.dtype} needs ${dataBytes} data bytes, got ${have}`, { byte: bytes.length });
  }
  if (have > dataBytes) {
    throw new DataFormatError('trailing_bytes', `${have - dataBytes} bytes follow the data of shape [${shape.join(', ')}]`, { byte: headerEnd + dataBytes });
  }
  const at = headerEnd;
  let data: IdxArray['data'];
  switch (t.dtype) {
    case 'u8': data = bytes.slice(at, at + count); break;
    case 'i8': data = new Int8Array(bytes.slice(at, at + count).buffer); break;
    case 'i16': { const a = new Int16Array(count); for (let i = 0; i < count; i++) a[i] = view.getInt16(at + 2 * i, false); data = a; break; }
    case 'i32': { const a = new Int32Array(count); for (let i = 0; i < count; i++) a[i] = view.getInt32(at + 4 * i, false); data = a; break; }
    case 'f32': { const a = new Float32Array(count); for (let i = 0; i < count; i++) a[i] = view.getFloat32(at + 4 * i, false); data = a; break; }
    case 'f64': { const a = new Float64Array(count); for (let i = 0; i < count; i++) a[i] = view.getFloat64(at + 8 * i, false); data = a; break; }
  }
  if (t.dtype === 'f32' || t.dtype === 'f64') {
    const sampleSize = count / Math.max(shape[0], 1);
    for (let i = 0; i < count; i++) {
      if (!Number.isFinite(data[i])) {
        throw new DataFormatError('not_finite', `value ${data[i]} is not finite`, { row: Math.floor(i / sampleSize), byte: at + i * t.size });
      }
    }
  }
  return { dtype: t.dtype, shape, data };
}

export interface IdxDatasetOptions extends ReadLimits {
  /** Multiply every image value by this (e.g. 1/255). Default 1. */
  scale?: number;
  /** Labels must be below this; reported on the Dataset (default: max label + 1). */
  numClasses?: number;
}

/** Pair an images IDX array and a labels IDX array (1-D, integer) into a Dataset. */
export function idxDataset(images: IdxArray, labels: IdxArray, opts: IdxDatasetOptions = {}): Dataset {
  const count = images.shape[0];
  if (labels.shape.length !== 1) {
    throw new DataFormatError('bad_label', `labels must be 1-D, got shape [${labels.shape.join(', ')}]`);
  }
  if (labels.dtype === 'f32' || labels.dtype === 'f64') {
    throw new DataFormatError('bad_label', `class labels must be an integer IDX dtype, got ${labels.dtype}`);
  }
  if (labels.shape[0] !== count) {
    throw new DataFormatError('count_mismatch', `${count} images but ${labels.shape[0]} labels`);
  }
  checkSamples(opts, count);
  checkBytes(opts, images.data.length * 4 + count * 4, 'the dataset');
  const scale = opts.scale ?? 1;
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] * scale;
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    checkClassLabel(labels.data[i], opts.numClasses, { row: i });
    y[i] = labels.data[i];
  }
  return { x, sampleShape: images.shape.slice(1), count, y, labelShape: [], numClasses: inferNumClasses(y, opts.numClasses) };
}

/** readIdx both files (decompressed) and pair them. */
export function readIdxDataset(imageBytes: Uint8Array, labelBytes: Uint8Array, opts: IdxDatasetOptions = {}): Dataset {
  return idxDataset(readIdx(imageBytes, opts), readIdx(labelBytes, opts), opts);
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}
