/**
 * safetensors (https://github.com/huggingface/safetensors), read and written
 * from memory:
 *
 *   [8 bytes: N, u64 little-endian][N bytes: UTF-8 JSON header][data]
 *
 * The header maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}`
 * (offsets relative to the start of the data section) plus an optional
 * `__metadata__` map of strings to strings. The writer pads the header with
 * spaces so the data starts at a multiple of 8, and lays tensors out
 * contiguously, largest element size first, then by name (as the Python
 * library does), so every tensor is aligned to its element size.
 * Data is little-endian; this module assumes a little-endian host (every
 * platform Node supports) and says so if it is not.
 */
import { SafetensorsError } from './safetensorsError.ts';

export type SafetensorsDtype =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** F16, BF16 are raw bits in a Uint16Array; F8 and BOOL raw bytes in a Uint8Array. */
export type SafetensorsData =
  | Float64Array | Float32Array | BigInt64Array | BigUint64Array
  | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsData;
}

export interface SafetensorsHeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** N: the JSON header's length in bytes. */
  headerLength: number;
  /** Where the data section starts in the file: 8 + N. */
  dataOffset: number;
  tensors: Record<string, SafetensorsHeaderEntry>;
  metadata: Record<string, string>;
}

interface DtypeInfo {
  size: number;
  make: (buf: ArrayBuffer) => SafetensorsData;
  check: (d: SafetensorsData) => boolean;
}

const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
  F64: { size: 8, make: (b) => new Float64Array(b), check: (d) => d instanceof Float64Array },
  F32: { size: 4, make: (b) => new Float32Array(b), check: (d) => d instanceof Float32Array },
  F16: { size: 2, make: (b) => new Uint16Array(b), check: (d) => d instanceof Uint16Array },
  BF16: { size: 2, make: (b) => new Uint16Array(b), check: (d) => d instanceof Uint16Array },
  F8_E4M3: { size: 1, make: (b) => new Uint8Array(b), check: (d) => d instanceof Uint8Array },
  F8_E5M2: { size: 1, make: (b) => new Uint8Array(b), check: (d) => d instanceof Uint8Array },
  I64: { size: 8, make: (b) => new BigInt64Array(b), check: (d) => d instanceof BigInt64Array },
  I32: { size: 4, make: (b) => new Int32Array(b), check: (d) => d instanceof Int32Array },
  I16: { size: 2, make: (b) => new Int16Array(b), check: (d) => d instanceof Int16Array },
  I8: { size: 1, make: (b) => new Int8Array(b), check: (d) => d instanceof Int8Array },
  U64: { size: 8, make: (b) => new BigUint64Array(b), check: (d) => d instanceof BigUint64Array },
  U32: { size: 4, make: (b) => new Uint32Array(b), check: (d) => d instanceof Uint32Array },
  U16: { size: 2, make: (b) => new Uint16Array(b), check: (d) => d instanceof Uint16Array },
  U8: { size: 1, make: (b) => new Uint8Array(b), check: (d) => d instanceof Uint8Array },
  BOOL: { size: 1, make: (b) => new Uint8Array(b), check: (d) => d instanceof Uint8Array },
};

/** Same limit as the reference implementation: a header over 100 MB is refused. */
export const SAFETENSORS_MAX_HEADER = 100_000_000;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new SafetensorsError('this host is big-endian; safetensors data is little-endian and byte swapping is not implemented');
}

function elementCount(shape: readonly number[], name: string): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isSafeInteger(d) || d < 0) throw new SafetensorsError(`shape[${i}] must be a non-negative integer, got ${JSON.stringify(d)}`, name);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new SafetensorsError(`shape ${JSON.stringify(shape)} has too many elements`, name);
  }
  return n;
}

/** Encode tensors (and optional string metadata) into a safetensors buffer. */
export function encodeSafetensors(
  tensors: Readonly<Record<string, SafetensorsTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  assertLittleEndian();
  const entries = Object.entries(tensors).map(([name, t]) => {
    if (name === '' || name === '__metadata__') throw new SafetensorsError('is not a valid tensor name', name);
    const info = DTYPES[t.dtype];
    if (info === undefined) throw new SafetensorsError(`unknown dtype ${JSON.stringify(t.dtype)} (known: ${Object.keys(DTYPES).join(', ')})`, name);
    if (!info.check(t.data)) throw new SafetensorsError(`dtype ${t.dtype} needs a ${info.make(new ArrayBuffer(0)).constructor.name}, got a ${t.data.constructor.name}`, name);
    const n = elementCount(t.shape, name);
    if (t.data.length !== n) throw new SafetensorsError(`shape ${JSON.stringify(t.shape)} has ${n} elements but the data has ${t.data.length}`, name);
    return { name, t, size: info.size, bytes: n * info.size };
  });
  entries.sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(`metadata ${JSON.stringify(k)} must be a string, got ${typeof v}`);
    }
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.t.dtype, shape: [...e.t.shape], data_offsets: [offset, offset + e.bytes] };
    offset += e.bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const e of entries) {
    const d = e.t.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, e.bytes), at);
    at += e.bytes;
  }
  return out;
}

/**
 * How many bytes the header needs: read the first 8 bytes of a file, then
 * read `safetensorsHeaderLength(first8)` bytes in total and pass them to
 * `safetensorsHeader`. Throws if the length is beyond the format's limit.
 */
export function safetensorsHeaderLength(first8: Uint8Array): number {
  if (first8.length < 8) throw new SafetensorsError(`need at least 8 bytes for the header length, got ${first8.length}`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(SAFETENSORS_MAX_HEADER)) throw new SafetensorsError(`header length ${n} exceeds the limit of ${SAFETENSORS_MAX_HEADER} bytes`);
  return 8 + Number(n);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse and validate the header from the start of a file (at least 8 + N
 * bytes; the data need not be present). With `totalLength` (the file's size)
 * it also checks that the offsets cover the data section exactly.
 */
export function safetensorsHeader(bytes: Uint8Array, totalLength?: number): SafetensorsHeader {
  const dataOffset = safetensorsHeaderLength(bytes);
  const headerLength = dataOffset - 8;
  if (bytes.length < dataOffset) {
    throw new SafetensorsError(`header length ${headerLength} runs past the end of the buffer (${bytes.length} bytes)`);
  }
  if (totalLength !== undefined && totalLength < dataOffset) {
    throw new SafetensorsError(`header length ${headerLength} runs past the end of the file (${totalLength} bytes)`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataOffset));
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError(`header must start with "{", got ${JSON.stringify(text.slice(0, 8))}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new SafetensorsError('header must be a JSON object');

  const metadata: Record<string, string> = {};
  const tensors: Record<string, SafetensorsHeaderEntry> = {};
  for (const [name, v] of Object.entries(raw)) {
    if (name === '__metadata__') {
      if (!isObject(v)) throw new SafetensorsError('__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw new SafetensorsError(`__metadata__.${k} must be a string, got ${JSON.stringify(s)}`);
        metadata[k] = s;
      }
      continue;
    }
    if (!isObject(v)) throw new SafetensorsError('header entry must be an object {dtype, shape, data_offsets}', name);
    const dtype = v.dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPES)) throw new SafetensorsError(`unknown dtype ${JSON.stringify(dtype)}`, name);
    const shape = v.shape;
    if (!Array.isArray(shape)) throw new SafetensorsError(`shape must be an array, got ${JSON.stringify(shape)}`, name);
    const count = elementCount(shape as number[], name);
    const off = v.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) {
      throw new SafetensorsError(`data_offsets must be two non-negative integers, got ${JSON.stringify(off)}`, name);
    }
    const [begin, end] = off as [number, number];
    if (end < begin) throw new SafetensorsError(`data_offsets [${begin}, ${end}] end before they begin`, name);
    const expected = count * DTYPES[dtype as SafetensorsDtype].size;
    if (end - begin !== expected) {
      throw new SafetensorsError(`${dtype} ${JSON.stringify(shape)} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`, name);
    }
    tensors[name] = { dtype: dtype as SafetensorsDtype, shape: (shape as number[]).slice(), dataOffsets: [begin, end] };
  }

  // Offsets must tile the data section: sorted by begin, each starts where the previous ended.
  const order = Object.keys(tensors).sort((a, b) => tensors[a].dataOffsets[0] - tensors[b].dataOffsets[0] || tensors[a].dataOffsets[1] - tensors[b].dataOffsets[1]);
  let expectedBegin = 0;
  let prev: string | undefined;
  for (const name of order) {
    const [begin, end] = tensors[name].dataOffsets;
    if (begin < expectedBegin) throw new SafetensorsError(`data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(prev)} (which ends at ${expectedBegin})`, name);
    if (begin > expectedBegin) throw new SafetensorsError(`data_offsets [${begin}, ${end}] leave a gap after ${prev === undefined ? 'the start of the data' : `tensor ${JSON.stringify(prev)}`} (at ${expectedBegin})`, name);
    expectedBegin = end;
    prev = name;
  }
  if (totalLength !== undefined) {
    const dataLength = totalLength - dataOffset;
    if (expectedBegin !== dataLength) {
      const what = prev === undefined ? 'no tensor' : `tensor ${JSON.stringify(prev)}`;
      throw new SafetensorsError(expectedBegin > dataLength
        ? `${what} ends at data offset ${expectedBegin}, past the end of the data (${dataLength} bytes)`
        : `${what} ends at data offset ${expectedBegin} but the data section has ${dataLength} bytes`);
    }
  }
  return { headerLength, dataOffset, tensors, metadata };
}

/** Decode and validate a whole safetensors buffer. Tensor data is copied (aligned, independent of `bytes`). */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> } {
  assertLittleEndian();
  const h = safetensorsHeader(bytes, bytes.length);
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, e] of Object.entries(h.tensors)) {
    const start = bytes.byteOffset + h.dataOffset + e.dataOffsets[0];
    const buf = bytes.buffer.slice(start, start + e.dataOffsets[1] - e.dataOffsets[0]) as ArrayBuffer;
    tensors[name] = { dtype: e.dtype, shape: e.shape, data: DTYPES[e.dtype].make(buf) };
  }
  return { tensors, metadata: h.metadata };
}
