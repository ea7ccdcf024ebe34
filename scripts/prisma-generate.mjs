#!/usr/bin/env node
// Generates the Prisma client into src/db/generated (run by `postinstall`).
//
// `prisma generate` needs no schema engine, but Prisma 7's CLI still tries to
// download the native schema-engine binary first unless
// PRISMA_SCHEMA_ENGINE_BINARY names an existing file. We point it at a harmless
// existing executable (only when the caller has not set it) so nothing is
// downloaded; generation itself runs on the bundled WebAssembly.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = existsSync('/bin/false') ? '/bin/false' : process.execPath;
}
// Never phone home from an install script.
env.CHECKPOINT_DISABLE ??= '1';
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';

let cli;
try {
  cli = createRequire(join(root, 'package.json')).resolve('prisma/build/index.js');
} catch {
  // `npm ci --omit=dev` has no prisma CLI: the client must then come from elsewhere.
  console.warn('prisma-generate: the prisma CLI is not installed; skipping client generation');
  process.exit(0);
}

const r = spawnSync(process.execPath, [cli, 'generate', '--schema', join(root, 'prisma', 'schema.prisma')], {
  cwd: root,
  env,
  stdio: 'inherit',
});
if (r.error) throw r.error;
process.exit(r.status ?? 1);
