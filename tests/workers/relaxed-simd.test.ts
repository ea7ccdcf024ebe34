/**
 * The service's relaxed-SIMD switch (src/workers/relaxed-simd.ts). V8 flags are per process,
 * so each case runs in a child. The child applies the switch as the CLI does, then reports:
 * - which GEMM its default kernels use, and a product through them;
 * - which GEMM a thread built like the training pool's uses (it loads the pool's task file,
 *   tasks/entry.ts, which applies the setting in that thread);
 * - whether a 2-thread ParallelTrainer starts and fits (it refuses a helper whose kernels
 *   round differently from the main thread's: the last test injects such a helper).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const src = (path: string): string => new URL(`../../src/${path}`, import.meta.url).href;

// A file, not --eval: the helper threads inherit the child's exec flags, and --input-type
// would stop them from loading theirs.
const CHILD = `
import { enableRelaxedSimd } from '${src('workers/relaxed-simd.ts')}';
const enabled = enableRelaxedSimd();
const { defaultWasmKernels, Sequential } = await import('${src('engine/index.ts')}');
const { ParallelTrainer } = await import('${src('workers/parallel/index.ts')}');
const wk = defaultWasmKernels();
const a = wk.arena.alloc(3 * 5), b = wk.arena.alloc(5 * 4), c = wk.arena.alloc(3 * 4);
a.forEach((_, i) => { a[i] = (i % 7) - 3; });
b.forEach((_, i) => { b[i] = (i % 5) * 0.5 - 1; });
wk.matmulRows(a, b, c, 3, 5, 4, 0, 3);

const { Worker } = await import('node:worker_threads');
const w = new Worker(\`
  const { parentPort } = require('node:worker_threads');
  (async () => {
    const { register } = await import('tsx/esm/api');
    register();
    await import('${src('workers/tasks/entry.ts')}');
    const { defaultWasmKernels } = await import('${src('engine/index.ts')}');
    parentPort.postMessage(defaultWasmKernels().relaxed);
  })();\`, { eval: true });
const poolThreadRelaxed = await new Promise((resolve) => w.once('message', resolve));
await w.terminate();

const model = Sequential.fromSpec({ inputShape: [4], layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, { seed: 1 });
model.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
const trainer = await ParallelTrainer.create(model, { threads: 2, batchSize: 8 });
try {
  const x = Float32Array.from({ length: 16 * 4 }, (_, i) => Math.sin(i));
  const y = Float32Array.from({ length: 16 }, (_, i) => i % 3);
  await model.fit({ data: x, shape: [16, 4] }, { data: y, shape: [16] }, { batchSize: 8, epochs: 1, gradients: trainer });
} finally {
  await trainer.close();
}
console.log(JSON.stringify({ enabled, relaxed: wk.relaxed, poolThreadRelaxed, parallelFit: true, c: Array.from(c) }));
`;

interface ChildReport { enabled: boolean; relaxed: boolean; poolThreadRelaxed: boolean; parallelFit: boolean; c: number[] }

/** Runs `script` in a child process; its last stdout line, parsed. */
function runChild(script: string, env: Record<string, string>, nodeFlags: string[] = []): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'ty-relaxed-'));
  try {
    const file = join(dir, 'child.mts');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', file], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as unknown;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function child(env: Record<string, string>, nodeFlags: string[] = []): ChildReport {
  return runChild(CHILD, env, nodeFlags) as ChildReport;
}

function expected(): number[] {
  const a = Array.from({ length: 15 }, (_, i) => (i % 7) - 3);
  const b = Array.from({ length: 20 }, (_, i) => (i % 5) * 0.5 - 1);
  const c: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) {
    let s = 0;
    for (let k = 0; k < 5; k++) s += a[i * 5 + k] * b[k * 4 + j];
    c.push(s);
  }
  return c;
}

function check(r: ChildReport, relaxed: boolean): void {
  assert.equal(r.enabled, relaxed);
  assert.equal(r.relaxed, relaxed, 'the main thread\'s default kernels');
  assert.equal(r.poolThreadRelaxed, relaxed, 'a training pool thread\'s default kernels');
  assert.equal(r.parallelFit, true);
  // Small integers and halves: exact under either rounding.
  assert.deepEqual(r.c, expected());
}

test('relaxed SIMD: the switch turns it on (Node 20: the V8 flag); the default kernels, pool threads and ParallelTrainer helpers use it', () => {
  check(child({ TRAINYARD_RELAXED_SIMD: '' }), true);
});

test('relaxed SIMD: TRAINYARD_RELAXED_SIMD=0 keeps plain SIMD128', () => {
  check(child({ TRAINYARD_RELAXED_SIMD: '0' }), false);
});

test('relaxed SIMD: TRAINYARD_RELAXED_SIMD=0 keeps plain SIMD128 even where the runtime has relaxed SIMD already', () => {
  check(child({ TRAINYARD_RELAXED_SIMD: '0' }, ['--experimental-wasm-relaxed-simd']), false);
});

// Relaxed SIMD on in the main thread; helper 1 is made to build plain SIMD128 kernels.
const MISMATCH = `
import { enableRelaxedSimd } from '${src('workers/relaxed-simd.ts')}';
const enabled = enableRelaxedSimd();
const { defaultWasmKernels, Sequential } = await import('${src('engine/index.ts')}');
const { ParallelTrainer, ParallelTrainingError } = await import('${src('workers/parallel/index.ts')}');
const model = Sequential.fromSpec({ inputShape: [4], layers: [{ type: 'dense', units: 3, activation: 'softmax' }] }, { seed: 1 });
model.compile({ optimizer: { type: 'adam', learningRate: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
let error = null;
try {
  const trainer = await ParallelTrainer.create(model, { threads: 2, batchSize: 8, fault: { kind: 'plainKernels' } });
  await trainer.close();
} catch (e) {
  error = { parallel: e instanceof ParallelTrainingError, message: e.message };
}
console.log(JSON.stringify({ enabled, relaxed: defaultWasmKernels().relaxed, error }));
`;

test('relaxed SIMD: ParallelTrainer refuses a helper whose kernels are plain SIMD128 when the main thread\'s are relaxed', () => {
  const r = runChild(MISMATCH, { TRAINYARD_RELAXED_SIMD: '' }) as { enabled: boolean; relaxed: boolean; error: { parallel: boolean; message: string } | null };
  assert.equal(r.relaxed, true, 'the main thread uses relaxed SIMD');
  assert.ok(r.error, 'create must fail');
  assert.equal(r.error.parallel, true);
  assert.match(r.error.message, /helper 1 built plain SIMD kernels, unlike the main thread/);
});
