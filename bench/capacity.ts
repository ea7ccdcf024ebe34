/**
 * How much of a second core this machine gives right now, for the work training does:
 * the same wasm SIMD GEMM (256x256x256, the engine's kernel) run in 1 worker, then in
 * `threads` workers at once, each timed after a shared start. Returns the throughput of
 * `threads` against one (2.0 = two free cores). A plain JS integer loop is also measured:
 * it scales on two hyperthreads of one core as well as on two cores, so it can read ~x2
 * while the SIMD units are shared and the GEMM gets ~x1.3. On a shared VM the answer
 * changes from minute to minute; the threads bench prints both beside its ratios.
 */
import { Worker } from 'node:worker_threads';

const KERNELS_URL = new URL('../src/engine/kernels/wasm/index.ts', import.meta.url).href;

const GEMM_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { register } = await import('tsx/esm/api');
  register();
  const { createWasmKernels } = await import(workerData.url);
  const wk = createWasmKernels();
  const n = 256;
  const a = wk.arena.alloc(n * n), b = wk.arena.alloc(n * n), c = wk.arena.alloc(n * n);
  for (let i = 0; i < n * n; i++) { a[i] = (i % 17) / 17 - 0.5; b[i] = (i % 13) / 13 - 0.5; }
  const run = (calls) => { for (let i = 0; i < calls; i++) wk.matmulRows(a, b, c, n, n, n, 0, n); };
  run(20);
  parentPort.once('message', () => {
    const t = performance.now();
    run(workerData.calls);
    parentPort.postMessage(performance.now() - t);
  });
  parentPort.postMessage('ready');
})();
`;

const JS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.once('message', () => {
  const t = performance.now();
  let s = 0;
  for (let i = 0; i < workerData.calls * 2e5; i++) s += i % 7;
  parentPort.postMessage(s >= 0 ? performance.now() - t : 0);
});
parentPort.postMessage('ready');
`;

/** Runs `n` copies of a worker at once (started together once all are ready); the slowest one's milliseconds. */
async function runTogether(code: string, n: number, calls: number): Promise<number> {
  const workers = Array.from({ length: n }, () => new Worker(code, { eval: true, workerData: { url: KERNELS_URL, calls } }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })));
    const times = workers.map((w) => new Promise<number>((resolve) => w.once('message', resolve)));
    for (const w of workers) w.postMessage('go');
    return Math.max(...(await Promise.all(times)));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface Capacity {
  /** `threads` x the 1-worker time over the `threads`-worker time, for the wasm SIMD GEMM. */
  simd: number;
  /** The same for a plain JS integer loop. */
  scalar: number;
}

export async function capacity(threads: number): Promise<Capacity> {
  const ratio = async (code: string, calls: number): Promise<number> => {
    const one = await runTogether(code, 1, calls);
    return (threads * one) / (await runTogether(code, threads, calls));
  };
  return { simd: await ratio(GEMM_WORKER, 250), scalar: await ratio(JS_WORKER, 500) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const c = await capacity(2);
  console.log(`2-thread capacity now: wasm SIMD GEMM x${c.simd.toFixed(2)}, scalar JS x${c.scalar.toFixed(2)}`);
}
