/** The allocator over wasm memory: first fit, coalescing, reuse, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instantiateGemm, WasmArena } from '../../src/engine/kernels/wasm/index.ts';

test('arena: blocks are 64-byte aligned, zeroed, disjoint, and reused after free', () => {
  const arena = new WasmArena(instantiateGemm({ relaxed: false }).memory);
  const a = arena.alloc(3);
  const b = arena.alloc(17);
  assert.equal(a.byteOffset % 64, 0);
  assert.equal(b.byteOffset % 64, 0);
  assert.ok(b.byteOffset >= a.byteOffset + 64);
  a.fill(1);
  assert.deepEqual(Array.from(b.subarray(0, 3)), [0, 0, 0]);
  arena.free(a);
  const c = arena.alloc(16);
  assert.equal(c.byteOffset, a.byteOffset, 'first fit reuses the freed block');
  assert.deepEqual(Array.from(c.subarray(0, 3)), [0, 0, 0], 'alloc zero-fills');
  assert.throws(() => arena.free(12345), /not a block of this arena/);
});

test('arena: freed neighbours coalesce so a larger block fits where they were', () => {
  const arena = new WasmArena(instantiateGemm({ relaxed: false }).memory);
  const x = arena.alloc(16);
  const y = arena.alloc(16);
  const z = arena.alloc(16);
  const guard = arena.alloc(16);
  arena.free(x);
  arena.free(z);
  arena.free(y);
  const big = arena.alloc(48);
  assert.equal(big.byteOffset, x.byteOffset);
  arena.free(guard);
  arena.free(big);
  assert.equal(arena.alloc(1).byteOffset, x.byteOffset, 'the top shrinks back when the last block is freed');
});
