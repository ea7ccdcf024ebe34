/**
 * `npm run bench [mlp|cnn|lstm|gemm ...]`: runs the named benchmarks (all by
 * default) one after the other, each printing Trainyard's figures beside a
 * reference measured in the same run. Extra `--flags` go to every script.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { torchGemmGflops } from './torch.ts';

const ALL = ['mlp', 'tfjs', 'cnn', 'lstm', 'gemm', 'threads', 'memory'];
const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
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

for (const name of chosen) {
  console.log(`\n== ${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(`./${name}.ts`, import.meta.url)), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
