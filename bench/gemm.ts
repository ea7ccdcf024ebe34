/**
 * GEMM throughput: plain TypeScript kernels vs the WebAssembly SIMD kernels, in GFLOP/s
 * (2·m·k·n per call), for square sizes and the shapes a Fashion-MNIST MLP produces.
 *
 *   node --import tsx bench/gemm.ts                                      # plain vs wasm
 *   node --experimental-wasm-relaxed-simd --import tsx bench/gemm.ts     # + wasm relaxed SIMD
 *   node --import tsx bench/gemm.ts --quick                              # fewer shapes
 *
 * Columns: `wasm` copies operands into wasm memory and the result back out (what a drop-in
 * replacement does today); `in-place` has every operand allocated in wasm memory (the arena),
 * so nothing is copied. Each cell is the best of short rounds (~40 ms) within ~200 ms, so a
 * busy machine disturbs it less; one call is always made, even when it takes longer. The
 * SIMD columns are measured in `--passes` passes over the whole table (default 3, about a
 * minute apart in all) and each cell keeps its best: a slow phase of this shared VM lasts
 * seconds, long enough to cover every round of one cell (1024 NT once read 24 GFLOP/s in one
 * full run and 42 in the next).
 *
 *   node --import tsx bench/gemm.ts --passes 1                           # one pass
 */
import { parseArgs } from 'node:util';
import * as plain from '../src/engine/kernels/matmul.ts';
import type { MatmulKernel } from '../src/engine/kernels/matmul.ts';
import { createWasmKernels } from '../src/engine/kernels/wasm/wasmKernels.ts';
import type { WasmMatmulKernels } from '../src/engine/kernels/wasm/wasmKernels.ts';
import { relaxedSimdSupported } from '../src/engine/kernels/wasm/loadGemm.ts';

type Op = 'NN' | 'NT' | 'TN';
const NAMES: Record<Op, 'matmulRows' | 'matmulRowsNT' | 'matmulRowsTN'> = { NN: 'matmulRows', NT: 'matmulRowsNT', TN: 'matmulRowsTN' };

// Not strict: `npm run bench` hands every script the same flags.
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, passes: { type: 'string', default: '3' } }, strict: false });
const quick = values.quick === true;
const PASSES = Math.max(1, Math.floor(Number(values.passes)) || 1);
const BUDGET_MS = 200;
const ROUND_MS = 40;

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** Best GFLOP/s over rounds of ROUND_MS within BUDGET_MS (at least one call). */
function measure(run: () => void, flops: number): number {
  run();
  let best = 0;
  const start = performance.now();
  do {
    const t0 = performance.now();
    let calls = 0;
    let dt = 0;
    do {
      run();
      calls++;
      dt = performance.now() - t0;
    } while (dt < ROUND_MS);
    best = Math.max(best, (flops * calls) / dt / 1e6);
  } while (performance.now() - start < BUDGET_MS);
  return best;
}

interface Impl {
  name: string;
  kernels: WasmMatmulKernels | null;
  inPlace: boolean;
}

function gflops(impl: Impl, op: Op, m: number, k: number, n: number): number {
  const a = random(m * k, 1);
  const b = random(k * n, 2);
  const kernel: MatmulKernel = impl.kernels ? impl.kernels[NAMES[op]] : plain[NAMES[op]];
  if (impl.kernels && impl.inPlace) {
    const arena = impl.kernels.arena;
    const wa = arena.alloc(a.length);
    const wb = arena.alloc(b.length);
    const wc = arena.alloc(m * n);
    wa.set(a);
    wb.set(b);
    try {
      return measure(() => kernel(wa, wb, wc, m, k, n, 0, m), 2 * m * k * n);
    } finally {
      arena.free(wc);
      arena.free(wb);
      arena.free(wa);
    }
  }
  const c = new Float32Array(m * n);
  const rows = sliceRows(impl, m, k, n);
  return measure(() => kernel(a, b, c, m, k, n, 0, rows), 2 * rows * k * n);
}

/** The plain kernels take ~0.6 s for one 1024³ call: time them on the first 128 rows instead. */
function sliceRows(impl: Impl, m: number, k: number, n: number): number {
  return impl.kernels === null && m * k * n > 2 ** 28 ? 128 : m;
}

const simd = createWasmKernels({ relaxed: false });
const impls: Impl[] = [
  { name: 'plain TS', kernels: null, inPlace: false },
  { name: 'wasm', kernels: simd, inPlace: false },
  { name: 'in-place', kernels: simd, inPlace: true },
];
if (relaxedSimdSupported()) {
  const relaxed = createWasmKernels({ relaxed: true });
  impls.push({ name: 'relaxed', kernels: relaxed, inPlace: false }, { name: 'relaxed in-place', kernels: relaxed, inPlace: true });
}

interface Case {
  label: string;
  op: Op;
  m: number;
  k: number;
  n: number;
}

const cases: Case[] = [];
for (const s of quick ? [64, 256, 1024] : [64, 128, 256, 512, 1024]) {
  for (const op of ['NN', 'NT', 'TN'] as Op[]) cases.push({ label: `${s}`, op, m: s, k: s, n: s });
}
// dense(784 -> 128) and dense(128 -> 10) on a batch: forward x·Wᵀ (NT), weight grad dzᵀ·x (TN), input grad dz·W (NN).
for (const batch of quick ? [32] : [32, 128]) {
  for (const [inp, out] of [[784, 128], [128, 10]]) {
    cases.push(
      { label: `mlp b${batch} ${inp}->${out} fwd`, op: 'NT', m: batch, k: inp, n: out },
      { label: `mlp b${batch} ${inp}->${out} dW`, op: 'TN', m: out, k: batch, n: inp },
      { label: `mlp b${batch} ${inp}->${out} dx`, op: 'NN', m: batch, k: out, n: inp },
    );
  }
}

const pad = (s: string, w: number): string => s.padStart(w);
const widths = impls.map((i) => Math.max(9, i.name.length + 1));
console.log(`GEMM GFLOP/s (node ${process.version}, relaxed SIMD ${relaxedSimdSupported() ? 'on' : 'off'}; wasm tile ${simd.instance.mr}x${simd.instance.nr})`);
console.log(`${'shape'.padEnd(24)}${pad('op', 3)}${pad('m x k x n', 19)}${impls.map((i, j) => pad(i.name, widths[j])).join('')}${pad('wasm/plain', 11)}${impls.length > 3 ? pad('relaxed/plain', 14) : ''}`);
// The plain column once (it is slow and not the point); the SIMD columns in passes, keeping each cell's best.
const results = cases.map((c) => impls.map((impl) => gflops(impl, c.op, c.m, c.k, c.n)));
for (let pass = 1; pass < PASSES; pass++) {
  cases.forEach((c, i) => {
    for (let j = 1; j < impls.length; j++) results[i][j] = Math.max(results[i][j], gflops(impls[j], c.op, c.m, c.k, c.n));
  });
}
for (const [i, c] of cases.entries()) {
  const r = results[i];
  const ratio = (r[1] / r[0]).toFixed(1) + 'x';
  const relaxedRatio = impls.length > 3 ? pad((r[3] / r[0]).toFixed(1) + 'x', 14) : '';
  const sliced = sliceRows(impls[0], c.m, c.k, c.n) < c.m;
  const cells = r.map((v, j) => pad(v.toFixed(1) + (j === 0 && sliced ? '*' : ''), widths[j])).join('');
  console.log(`${c.label.padEnd(24)}${pad(c.op, 3)}${pad(`${c.m} x ${c.k} x ${c.n}`, 19)}${cells}${pad(ratio, 11)}${relaxedRatio}`);
}
if (cases.some((c) => sliceRows(impls[0], c.m, c.k, c.n) < c.m)) {
  console.log('* plain TS timed on the first 128 rows (a row-range call), to keep the run short');
}
