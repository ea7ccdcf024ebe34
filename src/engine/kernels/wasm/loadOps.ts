/**
 * Instantiates the embedded elementwise module (opsWat.ts) over a GEMM instance's memory,
 * synchronously and without I/O, like loadGemm.ts.
 */
import { OPS_SIMD_BASE64 } from './opsModule.generated.ts';
import { decodeBase64 } from './loadGemm.ts';
import { wasm } from './wasmApi.ts';
import type { WasmMemory, WasmModule } from './wasmApi.ts';

/** The module's exports: addresses in bytes, sizes in elements (see opsWat.ts). */
export interface OpsExports {
  adam(
    w: number, g: number, m: number, v: number, n: number,
    scale: number, clip: number, l2: number, shrink: number,
    b1: number, c1: number, b2: number, c2: number, stepSize: number, rbc2: number, eps: number,
  ): void;
  addInto(dst: number, src: number, n: number): void;
  scaleShift(x: number, y: number, n: number, scale: number, offset: number): void;
  biasRelu(z: number, a: number, bias: number, rows: number, f: number): void;
  relu(z: number, a: number, n: number): void;
  reluBackwardBias(z: number, dy: number, dz: number, biasGrad: number, rows: number, f: number, withBias: number): void;
  /** im2col(x, col, s0, s1, h, w, c, kh, kw, sh, sw, dh, dw, padTop, padLeft, outH, outW); col2im(col, dx, ...). */
  im2col(x: number, col: number, s0: number, s1: number, ...geometry: number[]): void;
  col2im(col: number, dx: number, s0: number, s1: number, ...geometry: number[]): void;
  /** maxPoolForward(x, y, arg, batch, h, w, c, kh, kw, sh, sw, padTop, padLeft, outH, outW). */
  maxPoolForward(x: number, y: number, arg: number, batch: number, ...geometry: number[]): void;
  maxPoolBackward(dy: number, arg: number, dx: number, n: number, dxLength: number): void;
  reluBackward(z: number, dy: number, dx: number, n: number): void;
  leakyRelu(z: number, a: number, n: number, alpha: number): void;
  leakyReluBackward(z: number, dy: number, dx: number, n: number, alpha: number): void;
}

let compiled: WasmModule | undefined;

export function instantiateOps(memory: WasmMemory): OpsExports {
  compiled ??= new wasm.Module(decodeBase64(OPS_SIMD_BASE64));
  return new wasm.Instance(compiled, { env: { memory } }).exports as unknown as OpsExports;
}
