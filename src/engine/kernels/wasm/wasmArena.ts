/**
 * An allocator over one WebAssembly memory: Float32Array views that the wasm kernels read
 * and write in place (no copies). Blocks are 64-byte aligned (a cache line).
 *
 * Several threads may share one (shared) memory, each with its own arena: the end of the
 * used space (`top`) lives in the memory itself (the i32 at address 0; the first 64 bytes
 * are the header) and is bumped with Atomics, so arenas never hand out overlapping blocks.
 * Freed blocks go to the freeing arena's own first-fit list (coalescing neighbours); a block
 * should be freed by the arena that allocated it. The memory grows on demand and never
 * shrinks; growing a shared memory does not detach earlier views, and `owns` recognises
 * views over any of the memory's successive buffers. To hand a block to another thread,
 * send the memory once and then (byteOffset, length) pairs; `view` rebuilds them there.
 */
import type { WasmMemory } from './wasmApi.ts';

const ALIGN = 64;
const PAGE = 65536;

interface Block {
  offset: number;
  size: number;
}

export class WasmArena {
  private readonly holes: Block[] = [];
  private readonly sizes = new Map<number, number>();
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private header: Int32Array;

  constructor(readonly memory: WasmMemory) {
    this.header = new Int32Array(this.buffer(), 0, 1);
    Atomics.compareExchange(this.header, 0, 0, ALIGN);
  }

  /** Bytes currently reserved by the memory. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Whether `x` is a view over this arena's memory (so its byteOffset is a wasm address). */
  owns(x: ArrayBufferView): boolean {
    return this.buffers.has(x.buffer);
  }

  /** The memory's current buffer (after any growth). */
  buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** A view of `length` floats at wasm address `byteOffset` (e.g. a block another thread allocated). */
  view(byteOffset: number, length: number): Float32Array {
    if (byteOffset + length * 4 > this.memory.buffer.byteLength) this.grow(byteOffset + length * 4);
    return new Float32Array(this.buffer(), byteOffset, length);
  }

  private grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
  }

  /** Reserves `bytes` and returns the wasm address. */
  allocBytes(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.holes.length; i++) {
      const f = this.holes[i];
      if (f.size < size) continue;
      const offset = f.offset;
      if (f.size === size) this.holes.splice(i, 1);
      else {
        f.offset += size;
        f.size -= size;
      }
      this.sizes.set(offset, size);
      return offset;
    }
    const offset = Atomics.add(this.header, 0, size);
    if (offset + size > 2 ** 31 - ALIGN) {
      Atomics.sub(this.header, 0, size);
      throw new RangeError(`WasmArena: cannot allocate ${bytes} bytes (the memory's 2 GiB address space is used up)`);
    }
    this.grow(offset + size);
    this.buffer();
    this.sizes.set(offset, size);
    return offset;
  }

  /** A zero-filled Float32Array of n elements in wasm memory. */
  alloc(n: number): Float32Array {
    const offset = this.allocBytes(n * 4);
    const view = new Float32Array(this.buffer(), offset, n);
    view.fill(0);
    return view;
  }

  /** Returns a block from allocBytes (by address) or alloc (by its view) to the arena. */
  free(x: number | Float32Array): void {
    const offset = typeof x === 'number' ? x : x.byteOffset;
    const size = this.sizes.get(offset);
    if (size === undefined) throw new Error(`WasmArena.free: ${offset} is not a block of this arena`);
    this.sizes.delete(offset);
    let i = 0;
    while (i < this.holes.length && this.holes[i].offset < offset) i++;
    this.holes.splice(i, 0, { offset, size });
    const next = this.holes[i + 1];
    if (next && offset + size === next.offset) {
      this.holes[i].size += next.size;
      this.holes.splice(i + 1, 1);
    }
    const prev = this.holes[i - 1];
    if (prev && prev.offset + prev.size === offset) {
      prev.size += this.holes[i].size;
      this.holes.splice(i, 1);
    }
    // Give the last hole back to the shared top if nothing was allocated after it.
    const last = this.holes[this.holes.length - 1];
    if (last && Atomics.compareExchange(this.header, 0, last.offset + last.size, last.offset) === last.offset + last.size) {
      this.holes.pop();
    }
  }
}
