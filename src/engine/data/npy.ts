/**
 * NPY (NumPy's `.npy`, format versions 1.0, 2.0 and 3.0): the magic
 * `\x93NUMPY`, a version, a little-endian header length (u16 for v1, u32 for
 * v2/v3), a Python dict literal `{'descr': ..., 'fortran_order': ..., 'shape': (...)}`
 * (latin-1 for v1/v2, UTF-8 for v3), then the raw data.
 *
 * Supported dtypes: `<f4`, `<f8`, `|u1` (also `|i1`, `<i4`) and `<i8`; C order only.
 * Big-endian, Fortran-ordered, structured and object arrays are refused.
 */
import { DataFormatError } from './dataFormatError.ts';
import { checkBytes, checkSamples } from './limits.ts';
import { checkClassLabel, inferNumClasses } from './classLabel.ts';
import type { Dataset, LabelOptions, ReadLimits } from './types.ts';

export type NpyDtype = '<f4' | '<f8' | '|u1' | '|i1' | '<i4' | '<i8';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** int64 data stays exact as a BigInt64Array. */
  data: Float32Array | Float64Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;
}

const SIZES: Record<NpyDtype, number> = { '<f4': 4, '<f8': 8, '|u1': 1, '|i1': 1, '<i4': 4, '<i8': 8 };
const ALIASES: Record<string, NpyDtype> = { '<u1': '|u1', u1: '|u1', '<i1': '|i1', i1: '|i1', '|b1': '|u1' };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Parse one `.npy` file from memory. The data is copied. */
export function readNpy(bytes: Uint8Array, limits: ReadLimits = {}): NpyArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new DataFormatError('gzip', 'this is gzip-compressed data; gunzip it before reading NPY', { byte: 0 });
  }
  checkBytes(limits, bytes.length, 'the NPY input');
  if (bytes.length < 10) throw new DataFormatError('truncated', `an NPY header needs at least 10 bytes, got ${bytes.length}`, { byte: bytes.length });
  for (let i = 0; i < 6; i++) {
    if (bytes[i] !== MAGIC[i]) throw new DataFormatError('bad_magic', 'not an NPY file: it does not start with \\x93NUMPY', { byte: i });
  }
  const major = bytes[6];
  if (major < 1 || major > 3) throw new DataFormatError('unsupported', `NPY format version ${major}.${bytes[7]} (supported: 1, 2, 3)`, { byte: 6 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else {
    if (bytes.length < 12) throw new DataFormatError('truncated', 'an NPY v2/v3 header needs at least 12 bytes', { byte: bytes.length });
    headerLen = view.getUint32(8, true);
    start = 12;
  }
  const dataStart = start + headerLen;
  if (bytes.length < dataStart) throw new DataFormatError('truncated', `header of ${headerLen} bytes runs past the end (${bytes.length} bytes)`, { byte: bytes.length });
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(start, dataStart));
  } catch {
    throw new DataFormatError('bad_header', major === 3 ? 'header is not valid UTF-8' : 'header is not valid latin-1 text', { byte: start });
  }
  const h = header.trim();
  if (!h.startsWith('{') || !h.endsWith('}')) throw new DataFormatError('bad_header', `header is not a dict literal: ${JSON.stringify(h.slice(0, 60))}`, { byte: start });

  const descrM = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(h);
  if (descrM === null) {
    if (/['"]descr['"]\s*:\s*\[/.test(h)) throw new DataFormatError('unsupported', 'structured dtypes (a list descr) are not supported', { byte: start });
    throw new DataFormatError('bad_header', "header has no 'descr'", { byte: start });
  }
  const rawDescr = descrM[2];
  const fortranM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(h);
  if (fortranM === null) throw new DataFormatError('bad_header', "header has no 'fortran_order' True/False", { byte: start });
  if (fortranM[1] === 'True') {
    throw new DataFormatError('unsupported', 'fortran_order is True; save the array in C order (np.ascontiguousarray) and try again', { byte: start });
  }
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(h);
  if (shapeM === null) throw new DataFormatError('bad_header', "header has no 'shape' tuple", { byte: start });
  const parts = shapeM[1].split(',').map((p) => p.trim()).filter((p) => p !== '');
  const shape = parts.map((p) => {
    const n = /^\d+L?$/.test(p) ? Number.parseInt(p, 10) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw new DataFormatError('bad_header', `shape entry ${JSON.stringify(p)} is not a non-negative integer`, { byte: start });
    return n;
  });
  const dtype = (ALIASES[rawDescr] ?? rawDescr) as NpyDtype;
  const size = SIZES[dtype];
  if (size === undefined) {
    const why = rawDescr.startsWith('>') ? ' (big-endian: convert with arr.astype(arr.dtype.newbyteorder("<")))' : '';
    throw new DataFormatError('unsupported', `dtype ${JSON.stringify(rawDescr)} is not supported${why}; use <f4, <f8, |u1 or <i8`, { byte: start });
  }
  if (shape.length > 0) checkSamples(limits, shape[0]);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataBytes = count * size;
  const have = bytes.length - dataStart;
  if (have < dataBytes) throw new DataFormatError('truncated', `shape (${shape.join(', ')}) of ${dtype} needs ${dataBytes} data bytes, got ${have}`, { byte: bytes.length });
  if (have > dataBytes) throw new DataFormatError('trailing_bytes', `${have - dataBytes} bytes follow the data`, { byte: dataStart + dataBytes });
  const buf = bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + dataStart + dataBytes) as ArrayBuffer;
  let data: NpyArray['data'];
  switch (dtype) {
    case '<f4': data = new Float32Array(buf); break;
    case '<f8': data = new Float64Array(buf); break;
    case '|u1': data = new Uint8Array(buf); break;
    case '|i1': data = new Int8Array(buf); break;
    case '<i4': data = new Int32Array(buf); break;
    case '<i8': data = new BigInt64Array(buf); break;
  }
  if (data instanceof Float32Array || data instanceof Float64Array) {
    const sampleSize = shape.length > 0 && shape[0] > 0 ? count / shape[0] : 1;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new DataFormatError('not_finite', `value ${data[i]} is not finite`, { row: Math.floor(i / sampleSize), byte: dataStart + i * size });
      }
    }
  }
  return { dtype, shape, data };
}

export interface NpyDatasetOptions extends ReadLimits, LabelOptions {}

/**
 * Pair a features array (first axis = samples) and a labels array into a
 * Dataset. Class labels: integer dtype (or floats with integral values),
 * shape [count] or [count, 1]. Value labels: any dtype, labelShape = shape[1:].
 */
export function npyDataset(x: NpyArray, y: NpyArray, opts: NpyDatasetOptions = {}): Dataset {
  if (x.shape.length === 0) throw new DataFormatError('bad_header', 'features must have a first (sample) axis, got a scalar');
  if (y.shape.length === 0) throw new DataFormatError('bad_label', 'labels must have a first (sample) axis, got a scalar');
  const count = x.shape[0];
  if (y.shape[0] !== count) throw new DataFormatError('count_mismatch', `${count} samples but ${y.shape[0]} labels`);
  checkSamples(opts, count);
  checkBytes(opts, x.data.length * 4 + y.data.length * 4, 'the dataset');
  const xs = new Float32Array(x.data.length);
  for (let i = 0; i < xs.length; i++) xs[i] = Number(x.data[i]);
  const labels = opts.labels ?? 'classes';
  if (labels === 'values') {
    const ys = new Float32Array(y.data.length);
    for (let i = 0; i < ys.length; i++) ys[i] = Number(y.data[i]);
    return { x: xs, sampleShape: x.shape.slice(1), count, y: ys, labelShape: y.shape.slice(1) };
  }
  if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) {
    throw new DataFormatError('bad_label', `class labels must have shape [${count}] or [${count}, 1], got [${y.shape.join(', ')}] (use labels: 'values' for one-hot)`);
  }
  const ys = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = Number(y.data[i]);
    checkClassLabel(v, opts.numClasses, { row: i });
    ys[i] = v;
  }
  return { x: xs, sampleShape: x.shape.slice(1), count, y: ys, labelShape: [], numClasses: inferNumClasses(ys, opts.numClasses) };
}
