/**
 * One shared wasm memory, several threads: the main thread allocates A, B and C in the
 * memory, two worker threads instantiate the kernels over the same memory (each with its
 * own arena and scratch, which must not overlap) and each computes half of C's rows in
 * place. No operand is copied.
 */
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Rng } from '../../src/engine/rng.ts';
import { createWasmKernels } from '../../src/engine/kernels/wasm/index.ts';
import { assertClose } from './tensorGradCheck.ts';
import { rand, reference } from './kernelsWasmHelpers.ts';

const WORKER = new URL('./kernelsWasmWorker.ts', import.meta.url);
// Node 20 does not run `--import tsx` in worker threads, so the worker registers tsx itself.
const BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(WORKER.href)}); })`;

function run(workerData: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOT, { eval: true, workerData });
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  });
}

test('wasm threads: two workers share one memory and fill disjoint rows of C in place', async () => {
  const main = createWasmKernels({ relaxed: false });
  const rng = new Rng(21);
  const [m, k, n] = [67, 150, 45];
  const a = main.arena.alloc(m * k);
  const b = main.arena.alloc(n * k);
  const c = main.arena.alloc(m * n);
  a.set(rand(m * k, rng));
  b.set(rand(n * k, rng));
  c.fill(Number.NaN);
  // The main thread's own scratch exists before the workers allocate theirs.
  main.matmulRowsNT(a, b, new Float32Array(m * n), m, k, n, 0, m);
  const block = (x: Float32Array): [number, number] => [x.byteOffset, x.length];
  const common = { memory: main.instance.memory, a: block(a), b: block(b), c: block(c), m, k, n };
  await Promise.all([
    run({ ...common, rowStart: 0, rowEnd: 30 }),
    run({ ...common, rowStart: 30, rowEnd: m }),
  ]);
  assertClose(c, reference(a, b, m, k, n, false, true), 'rows from two threads', 1e-5, 1e-5);
  // The operands were not overwritten by the workers' scratch.
  const again = new Float32Array(m * n);
  main.matmulRowsNT(a, b, again, m, k, n, 0, m);
  assertClose(again, c, 'operands intact', 0, 0);
});
