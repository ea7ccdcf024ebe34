/**
 * The few WebAssembly JS-API members the kernels use, typed here because the project
 * compiles without the DOM lib (where TypeScript declares the WebAssembly namespace) and
 * @types/node 20 does not declare it. Runtime: Node's global `WebAssembly`.
 */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

/** A compiled module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmGlobal {
  readonly value: unknown;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

export const wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
