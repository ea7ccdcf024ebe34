/**
 * `npm run bench [mlp|cnn|lstm|gemm ...]`: runs the named benchmarks (all by
 * default) one after the other, each printing Trainyard's figures beside a
 * reference measured in the same run. Flags after the names (`--steps 200`) go to every script.
 *
 * Trainyard runs as the service does: with WebAssembly relaxed SIMD (the fused multiply-add
 * GEMM; on Node 20 the V8 flag is passed to each script), or without it when
 * TRAINYARD_RELAXED_SIMD=0 (src/workers/relaxed-simd.ts).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { torchGemmGflops } from './torch.ts';
import { relaxedSimdSetting } from '../src/shared/config.ts';

const ALL = ['mlp', 'tfjs', 'cnn', 'lstm', 'gemm', 'threads', 'job', 'memory', 'realdata'];
const args = process.argv.slice(2);
// Names come first; everything from the first flag on goes to the scripts (`--steps 200` and `--steps=200` alike).
const firstFlag = args.findIndex((a) => a.startsWith('-'));
const names = firstFlag === -1 ? args : args.slice(0, firstFlag);
const flags = firstFlag === -1 ? [] : args.slice(firstFlag);
const chosen = names.length > 0 ? names : ALL;
const unknown = chosen.filter((n) => !ALL.includes(n));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
  process.exit(2);
}

const blas = torchGemmGflops();
console.log(typeof blas === 'number'
  ? `PyTorch's BLAS: ${blas.toFixed(0)} GFLOP/s single-thread SGEMM 1024 (under 10 means the reference BLAS: apt-get install libopenblas0-pthread)`
  : `PyTorch: ${blas}; Trainyard runs alone`);

const relaxed = relaxedSimdSetting();
// Node 21 and later have relaxed SIMD on; Node 20 needs the flag.
const nodeFlags = relaxed && Number(process.versions.node.split('.')[0]) <= 20 ? ['--experimental-wasm-relaxed-simd'] : [];
console.log(`Trainyard's GEMM: ${relaxed ? 'relaxed SIMD (fused multiply-add)' : 'plain SIMD128 (TRAINYARD_RELAXED_SIMD=0)'}, as the service runs it`);

for (const name of chosen) {
  console.log(`\n== ${name}`);
  const r = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', fileURLToPath(new URL(`./${name}.ts`, import.meta.url)), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
