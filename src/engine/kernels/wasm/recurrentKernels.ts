/**
 * The recurrent-gates kernels (`../recurrentGates.ts`) in WebAssembly SIMD: the embedded
 * module of recurrentWat.ts instantiated over an arena's memory, synchronously and without
 * I/O. A call whose views all live in that memory runs in wasm; any other falls back to
 * the plain reference (same results, bit for bit).
 */
import { RECURRENT_SIMD_BASE64 } from './recurrentModule.generated.ts';
import { decodeBase64 } from './loadGemm.ts';
import { wasm } from './wasmApi.ts';
import type { WasmModule } from './wasmApi.ts';
import type { WasmArena } from './wasmArena.ts';
import { plainRecurrentKernels, sigmoidF32, tanhF32, type RecurrentKernels } from '../recurrentGates.ts';

/** The module's exports: addresses in bytes, sizes in elements (see recurrentWat.ts). */
interface RecurrentExports {
  lstmForward(g: number, rec: number, bih: number, bhh: number, cp: number, cn: number, tc: number, hn: number, B: number, u: number): void;
  lstmBackward(g: number, dG: number, dhSeq: number, dhNext: number, cp: number, tc: number, dc: number, B: number, u: number): void;
  gruForward(g: number, hp: number, bih: number, bhh: number, hPrev: number, hn: number, B: number, u: number): void;
  gruBackward(g: number, hp: number, dGi: number, dGh: number, dhSeq: number, dhNext: number, dhRec: number, hPrev: number, B: number, u: number): void;
  rnnForward(g: number, rec: number, bih: number, bhh: number, hn: number, B: number, u: number): void;
  rnnBackward(dG: number, dhSeq: number, dhNext: number, h: number, B: number, u: number): void;
  colSum(dst: number, m: number, rows: number, cols: number): void;
  sigmoid(x: number, B: number, n: number): void;
  tanh(x: number, B: number, n: number): void;
}

export interface WasmRecurrentKernels extends RecurrentKernels {
  /** x[i] = sigmoidF32(x[i]) / tanhF32(x[i]) in place (wasm when x lives in the memory). */
  sigmoid(x: Float32Array): void;
  tanh(x: Float32Array): void;
}

let compiled: WasmModule | undefined;

export function createWasmRecurrentKernels(arena: WasmArena): WasmRecurrentKernels {
  compiled ??= new wasm.Module(decodeBase64(RECURRENT_SIMD_BASE64));
  const ex = new wasm.Instance(compiled, { env: { memory: arena.memory } }).exports as unknown as RecurrentExports;
  const plain = plainRecurrentKernels;
  const own = (...xs: Float32Array[]): boolean => {
    for (const x of xs) if (!arena.owns(x)) return false;
    return true;
  };
  return {
    lstmForward(g, rec, bih, bhh, cPrev, cNext, tc, hNext, B, u) {
      if (own(g, rec, bih, bhh, cPrev, cNext, tc, hNext)) {
        ex.lstmForward(g.byteOffset, rec.byteOffset, bih.byteOffset, bhh.byteOffset, cPrev.byteOffset, cNext.byteOffset, tc.byteOffset, hNext.byteOffset, B, u);
      } else plain.lstmForward(g, rec, bih, bhh, cPrev, cNext, tc, hNext, B, u);
    },
    lstmBackward(g, dG, dhSeq, dhNext, cPrev, tc, dc, B, u) {
      if (own(g, dG, dhSeq, dhNext, cPrev, tc, dc)) {
        ex.lstmBackward(g.byteOffset, dG.byteOffset, dhSeq.byteOffset, dhNext.byteOffset, cPrev.byteOffset, tc.byteOffset, dc.byteOffset, B, u);
      } else plain.lstmBackward(g, dG, dhSeq, dhNext, cPrev, tc, dc, B, u);
    },
    gruForward(g, hp, bih, bhh, hPrev, hNext, B, u) {
      if (own(g, hp, bih, bhh, hPrev, hNext)) {
        ex.gruForward(g.byteOffset, hp.byteOffset, bih.byteOffset, bhh.byteOffset, hPrev.byteOffset, hNext.byteOffset, B, u);
      } else plain.gruForward(g, hp, bih, bhh, hPrev, hNext, B, u);
    },
    gruBackward(g, hp, dGi, dGh, dhSeq, dhNext, dhRec, hPrev, B, u) {
      if (own(g, hp, dGi, dGh, dhSeq, dhNext, dhRec, hPrev)) {
        ex.gruBackward(g.byteOffset, hp.byteOffset, dGi.byteOffset, dGh.byteOffset, dhSeq.byteOffset, dhNext.byteOffset, dhRec.byteOffset, hPrev.byteOffset, B, u);
      } else plain.gruBackward(g, hp, dGi, dGh, dhSeq, dhNext, dhRec, hPrev, B, u);
    },
    rnnForward(g, rec, bih, bhh, hNext, B, u) {
      if (own(g, rec, bih, bhh, hNext)) ex.rnnForward(g.byteOffset, rec.byteOffset, bih.byteOffset, bhh.byteOffset, hNext.byteOffset, B, u);
      else plain.rnnForward(g, rec, bih, bhh, hNext, B, u);
    },
    rnnBackward(dG, dhSeq, dhNext, h, B, u) {
      if (own(dG, dhSeq, dhNext, h)) ex.rnnBackward(dG.byteOffset, dhSeq.byteOffset, dhNext.byteOffset, h.byteOffset, B, u);
      else plain.rnnBackward(dG, dhSeq, dhNext, h, B, u);
    },
    colSum(dst, m, rows, cols) {
      if (own(dst, m)) ex.colSum(dst.byteOffset, m.byteOffset, rows, cols);
      else plain.colSum(dst, m, rows, cols);
    },
    sigmoid(x) {
      if (own(x)) ex.sigmoid(x.byteOffset, 1, x.length);
      else for (let i = 0; i < x.length; i++) x[i] = sigmoidF32(x[i]);
    },
    tanh(x) {
      if (own(x)) ex.tanh(x.byteOffset, 1, x.length);
      else for (let i = 0; i < x.length; i++) x[i] = tanhF32(x[i]);
    },
  };
}
