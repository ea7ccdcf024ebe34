/**
 * Runs a PyTorch side of a benchmark at its best setting on this kind of
 * machine: one thread, OPENBLAS_NUM_THREADS=1, and OPENBLAS_CORETYPE /
 * OPENBLAS_L2_SIZE removed from the child's environment only (they select a
 * slower kernel). Debian's python3-torch uses whatever libblas.so.3 points at:
 * the reference BLAS (about 3 GFLOP/s) unless libopenblas0-pthread is
 * installed (over 100), so the BLAS in use is measured and reported too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Turns } from './turns.ts';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

function torchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Why PyTorch cannot run here, or null when it can. */
function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0 ? `PyTorch not available (${PYTHON} -c "import torch" failed)` : null;
}

/** The script's last stdout line parsed as JSON, or a sentence saying why there is none. */
export function runTorch<T>(script: string, args: Array<string | number>): T | string {
  const missing = torchMissing();
  if (missing) return missing;
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

/**
 * A PyTorch model kept alive in a child process (`<script> serve <args>`, torch_serve.py):
 * each turn runs its steps and resolves to that turn's samples per second. Resolves once
 * the child has warmed up, or to a sentence saying why it could not start.
 */
export async function torchTurns(script: string, args: Array<string | number>): Promise<Turns | string> {
  const missing = torchMissing();
  if (missing) return missing;
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(PYTHON, [path, 'serve', ...args.map(String)], { env: torchEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A child that died is reported by the next read, not by a write error.
  child.stdin.on('error', () => {});
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<unknown> => {
    const r = await lines.next();
    if (r.done) {
      await exited; // all of stderr is in
      throw new Error(`PyTorch run failed: ${stderr.trim().split('\n').pop() || `no output (exit code ${child.exitCode})`}`);
    }
    return JSON.parse(r.value) as unknown;
  };
  try {
    const first = await next();
    if (first !== 'ready') throw new Error(`PyTorch run failed: expected "ready", got ${JSON.stringify(first)}`);
  } catch (e) {
    child.kill();
    return (e as Error).message;
  }
  return {
    turn: async () => {
      child.stdin.write('turn\n');
      return Number(await next());
    },
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
