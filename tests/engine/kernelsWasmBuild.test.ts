/**
 * The committed module is what the source builds to: rebuilding gemmWat.ts with wabt gives
 * byte for byte the generated file (so an edit to the source without a rebuild fails here),
 * and the build is deterministic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { render, renderOps } from '../../scripts/build-wasm.ts';

test('wasm build: gemmModule.generated.ts is up to date with gemmWat.ts', async () => {
  const committed = readFileSync(new URL('../../src/engine/kernels/wasm/gemmModule.generated.ts', import.meta.url), 'utf8');
  const first = await render();
  assert.equal(first, await render(), 'the build is deterministic');
  assert.ok(first === committed, 'run: node --import tsx scripts/build-wasm.ts');
});

test('wasm build: opsModule.generated.ts is up to date with opsWat.ts', async () => {
  const committed = readFileSync(new URL('../../src/engine/kernels/wasm/opsModule.generated.ts', import.meta.url), 'utf8');
  const first = await renderOps();
  assert.equal(first, await renderOps(), 'the build is deterministic');
  assert.ok(first === committed, 'run: node --import tsx scripts/build-wasm.ts');
});
