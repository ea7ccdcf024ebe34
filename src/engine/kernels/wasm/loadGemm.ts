/**
 * Instantiates the embedded GEMM module synchronously (no I/O: the bytes are a base64
 * string in gemmModule.generated.ts). Relaxed SIMD is used only where the engine can
 * validate it (Node 20 needs --experimental-wasm-relaxed-simd); otherwise plain SIMD128.
 */
import { GEMM_RELAXED_BASE64, GEMM_SIMD_BASE64 } from './gemmModule.generated.ts';
import { wasm } from './wasmApi.ts';
import type { WasmGlobal, WasmMemory, WasmModule } from './wasmApi.ts';

/** The module's exports (strides and sizes in bytes/elements as documented in gemmWat.ts). */
export interface GemmExports {
  gemm(
    a: number, ars: number, acs: number,
    b: number, brs: number, bcs: number,
    c: number, ldc: number,
    m: number, k: number, n: number,
    work: number, kcBlock: number, mcBlock: number, ncBlock: number, accumulate: number,
  ): void;
}

export interface GemmInstance {
  readonly exports: GemmExports;
  readonly memory: WasmMemory;
  readonly relaxed: boolean;
  readonly mr: number;
  readonly nr: number;
}

/** Largest memory created here (pages of 64 KiB): 2 GiB, so addresses stay positive int32 in JS. */
export const MAX_PAGES = 32768;

/** Bytes of a base64 string (the embedded modules). */
export function decodeBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * (module (func (param v128 v128 v128) (result v128)
 *   local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
 */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

let relaxedCache = false;

/**
 * Whether this runtime accepts f32x4.relaxed_madd (a tiny module is validated; a yes is kept,
 * a no is asked again, since a host may turn the V8 flag on after start-up).
 */
export function relaxedSimdSupported(): boolean {
  if (!relaxedCache) relaxedCache = wasm.validate(RELAXED_PROBE);
  return relaxedCache;
}

const modules = new Map<boolean, WasmModule>();

function compiled(relaxed: boolean): WasmModule {
  let mod = modules.get(relaxed);
  if (!mod) {
    mod = new wasm.Module(decodeBase64(relaxed ? GEMM_RELAXED_BASE64 : GEMM_SIMD_BASE64));
    modules.set(relaxed, mod);
  }
  return mod;
}

export interface GemmOptions {
  /**
   * Use relaxed SIMD: true requires it; false (the default here) forbids it. Relaxed
   * multiply-add is fused on CPUs with FMA and not on others, so its results can differ in the
   * last bits from one CPU to another. Measured: no faster on AMD Zen 4/5 (separate add and
   * multiply pipes), 1.2-1.4x faster training on Intel Xeon (Emerald Rapids). The engine's
   * default kernels (`defaultWasmKernels`) use it whenever the runtime has it.
   */
  relaxed?: boolean;
  /** Memory to run in (shared, maximum at most MAX_PAGES); default: a new one. */
  memory?: WasmMemory;
  /** A module built from gemmWat.ts with other settings (experiments, benchmarks); default: the embedded one. */
  module?: WasmModule;
}

/** A new instance of the module over `memory` (or a new shared memory of one page). */
export function instantiateGemm(options: GemmOptions = {}): GemmInstance {
  const relaxed = options.relaxed ?? false;
  if (relaxed && !relaxedSimdSupported() && !options.module) {
    throw new Error('relaxed SIMD is not available in this runtime (Node 20: --experimental-wasm-relaxed-simd)');
  }
  const memory = options.memory ?? new wasm.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const instance = new wasm.Instance(options.module ?? compiled(relaxed), { env: { memory } });
  const tile = (name: string): number => (instance.exports[name] as WasmGlobal).value as number;
  return {
    exports: instance.exports as unknown as GemmExports,
    memory,
    relaxed,
    mr: tile('MR'),
    nr: tile('NR'),
  };
}
