/**
 * Worker for kernelsWasmThreads.test.ts: instantiates the wasm kernels over the memory it
 * is sent and computes a row range of C in place, on blocks it is sent as (offset, length).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createWasmKernels } from '../../src/engine/kernels/wasm/index.ts';
import type { GemmOptions } from '../../src/engine/kernels/wasm/index.ts';

interface Task {
  memory: NonNullable<GemmOptions['memory']>;
  a: [number, number];
  b: [number, number];
  c: [number, number];
  m: number;
  k: number;
  n: number;
  rowStart: number;
  rowEnd: number;
}

const t = workerData as Task;
const w = createWasmKernels({ memory: t.memory, relaxed: false });
const view = (x: [number, number]): Float32Array => w.arena.view(x[0], x[1]);
w.matmulRowsNT(view(t.a), view(t.b), view(t.c), t.m, t.k, t.n, t.rowStart, t.rowEnd);
parentPort?.postMessage({ done: true, scratchBytes: w.arena.byteLength });
