/**
 * The service's relaxed-SIMD switch (src/cli/relaxed-simd.ts). V8 flags are per process,
 * so each case runs in a child: it turns the switch on (or not), then builds the engine's
 * default kernels and reports which GEMM they use and a product through them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CHILD = `
import { enableRelaxedSimd } from './src/cli/relaxed-simd.ts';
const enabled = enableRelaxedSimd();
const { defaultWasmKernels } = await import('./src/engine/kernels/wasm/index.ts');
const wk = defaultWasmKernels();
const a = wk.arena.alloc(3 * 5), b = wk.arena.alloc(5 * 4), c = wk.arena.alloc(3 * 4);
a.forEach((_, i) => { a[i] = (i % 7) - 3; });
b.forEach((_, i) => { b[i] = (i % 5) * 0.5 - 1; });
wk.matmulRows(a, b, c, 3, 5, 4, 0, 3);
// A worker thread started afterwards (as the training worker's pool threads are) sees the flag too.
const { Worker } = await import('node:worker_threads');
const url = new URL('./src/engine/kernels/wasm/index.ts', 'file://' + process.cwd() + '/').href;
// (Eval'd as a module, like this script: --input-type=module reaches the worker too.)
const w = new Worker(\`
  import { parentPort } from 'node:worker_threads';
  const { register } = await import('tsx/esm/api');
  register();
  const { defaultWasmKernels } = await import('\${url}');
  parentPort.postMessage(defaultWasmKernels().relaxed);\`, { eval: true });
const workerRelaxed = await new Promise((resolve) => w.once('message', resolve));
await w.terminate();
console.log(JSON.stringify({ enabled, relaxed: wk.relaxed, workerRelaxed, c: Array.from(c) }));
`;

function child(env: Record<string, string>): { enabled: boolean; relaxed: boolean; workerRelaxed: boolean; c: number[] } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as { enabled: boolean; relaxed: boolean; workerRelaxed: boolean; c: number[] };
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

test('relaxed SIMD: the service switch turns it on, and the default kernels then use the fused GEMM, in worker threads too', () => {
  const r = child({ TRAINYARD_RELAXED_SIMD: '' });
  assert.equal(r.enabled, true);
  assert.equal(r.relaxed, true);
  assert.equal(r.workerRelaxed, true);
  // Small integers and halves: exact under either rounding.
  assert.deepEqual(r.c, expected());
});

test('relaxed SIMD: TRAINYARD_RELAXED_SIMD=0 leaves the default kernels on plain SIMD128', () => {
  const r = child({ TRAINYARD_RELAXED_SIMD: '0' });
  assert.equal(r.enabled, false);
  assert.equal(r.relaxed, false);
  assert.equal(r.workerRelaxed, false);
  assert.deepEqual(r.c, expected());
});
