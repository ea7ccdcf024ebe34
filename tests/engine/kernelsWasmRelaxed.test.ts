/**
 * Relaxed SIMD (f32x4.relaxed_madd). Node 20 validates it only with
 * --experimental-wasm-relaxed-simd, which the test run does not pass: without the flag the
 * default kernels must fall back to plain SIMD and refuse an explicit request; the relaxed
 * module itself is checked in a child process started with the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createWasmKernels, plainKernels, relaxedSimdSupported } from '../../src/engine/kernels/wasm/index.ts';
import { runKernelSuite } from './tensorKernelSuite.ts';
import { Rng } from '../../src/engine/rng.ts';
import { VARIANTS, checkShape } from './kernelsWasmHelpers.ts';

if (relaxedSimdSupported()) {
  const relaxed = createWasmKernels({ relaxed: true });
  const { matmulRows, matmulRowsNT, matmulRowsTN, matmulRowsTT, matmulRowsTNAcc } = relaxed;
  runKernelSuite('wasm relaxed SIMD kernels', { ...plainKernels, matmulRows, matmulRowsNT, matmulRowsTN, matmulRowsTT, matmulRowsTNAcc });
  test('wasm relaxed: larger odd sizes and small blocks', () => {
    const rng = new Rng(11);
    const small = createWasmKernels({ relaxed: true, kc: 7, mc: 4, nc: 16 });
    for (const [name, ta, tb] of VARIANTS) {
      for (const [m, k, n] of [[129, 129, 129], [7, 300, 33]]) checkShape(relaxed[name], ta, tb, m, k, n, rng, name);
      checkShape(small[name], ta, tb, 19, 23, 37, rng, `${name} small blocks`);
    }
  });
} else {
  test('wasm relaxed: without the flag the default falls back to plain SIMD, an explicit request fails', () => {
    assert.equal(createWasmKernels().relaxed, false);
    assert.throws(() => createWasmKernels({ relaxed: true }), /relaxed SIMD is not available/);
  });

  test('wasm relaxed: with --experimental-wasm-relaxed-simd the relaxed module passes the suite', () => {
    const self = fileURLToPath(import.meta.url);
    // A fresh run, not a subtest of this runner (which would report through NODE_TEST_CONTEXT).
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--test', '--test-reporter=tap', self],
      { encoding: 'utf8', timeout: 120_000, env },
    );
    assert.equal(r.status, 0, `child run failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /wasm relaxed SIMD kernels: matmulRowsTT/);
    assert.match(r.stdout, /# fail 0/);
  });
}
