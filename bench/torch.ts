/**
 * Runs a PyTorch side of a benchmark at its best setting on this kind of
 * machine: one thread, OPENBLAS_NUM_THREADS=1, and OPENBLAS_CORETYPE /
 * OPENBLAS_L2_SIZE removed from the child's environment only (they select a
 * slower kernel). Debian's python3-torch uses whatever libblas.so.3 points at:
 * the reference BLAS (about 3 GFLOP/s) unless libopenblas0-pthread is
 * installed (over 100), so the BLAS in use is measured and reported too.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

function torchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** The script's last stdout line parsed as JSON, or a sentence saying why there is none. */
export function runTorch<T>(script: string, args: Array<string | number>): T | string {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `PyTorch not available (${PYTHON} -c "import torch" failed)`;
  const path = fileURLToPath(new URL(script, import.meta.url));
  const r = spawnSync(PYTHON, [path, ...args.map(String)], { encoding: 'utf8', env: torchEnv() });
  if (r.status !== 0) return `PyTorch run failed: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as T;
}

/** Single-thread SGEMM GFLOP/s of the BLAS PyTorch is using (1024 x 1024), or a reason. */
export function torchGemmGflops(): number | string {
  const code = [
    'import torch, time, json',
    'torch.set_num_threads(1)',
    'a = torch.rand(1024, 1024); b = torch.rand(1024, 1024)',
    'for _ in range(3): a @ b',
    't = time.perf_counter(); n = 10',
    'for _ in range(n): a @ b',
    'print(json.dumps(2 * 1024**3 * n / (time.perf_counter() - t) / 1e9))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8', env: torchEnv() });
  if (r.error || r.status !== 0) return 'PyTorch not available';
  return Number(r.stdout.trim());
}
