/**
 * Shared plumbing for layers: shapes, parameter views, and reusable output
 * buffers (allocated for the largest batch seen, then sub-viewed, so the
 * training hot path does not allocate per step).
 */
import type { BufferDecl, ForwardContext, Layer, LayerBuffer, LayerParameter, ParamDecl } from './types.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import { ModelStateError } from '../errors.ts';

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export interface ScratchMemory {
  allocate?: (n: number) => Float32Array;
  release?: (x: Float32Array) => void;
}

/** A growable scratch buffer: `get(n)` returns a view of n floats, reallocating only to grow. */
export class Scratch {
  private buf: Float32Array = new Float32Array(0);
  /** `memory`: where to allocate (e.g. the model's wasm memory, so kernels use it in place), read at each growth; default the JS heap. */
  constructor(private readonly memory?: ScratchMemory) {}
  get(n: number): Float32Array {
    if (this.buf.length < n) {
      if (this.memory?.allocate) {
        if (this.buf.length > 0) this.memory.release?.(this.buf);
        this.buf = this.memory.allocate(n);
      } else this.buf = new Float32Array(n);
    }
    return this.buf.length === n ? this.buf : this.buf.subarray(0, n);
  }
}

export abstract class BaseLayer<C extends LayerConfigBase> implements Layer {
  readonly type: string;
  readonly name: string;
  inputShape: readonly number[] = [];
  outputShape: readonly number[] = [];
  paramDecls: readonly ParamDecl[] = [];
  bufferDecls: readonly BufferDecl[] = [];
  params: readonly LayerParameter[] = [];
  buffers: readonly LayerBuffer[] = [];
  protected inSize = 0;
  protected outSize = 0;
  /** Where `scratch()` buffers are allocated; filled by `useMemory` (default: the JS heap). */
  private readonly memoryRef: ScratchMemory = {};

  protected constructor(
    protected readonly def: LayerDef<C>,
    readonly config: C,
    readonly index: number,
  ) {
    this.type = config.type;
    this.name = config.name;
  }

  /** A growable buffer in the model's memory once `useMemory` is called (field initialisers may call it). */
  protected scratch(): Scratch {
    return new Scratch(this.memoryRef);
  }

  /** Allocate this layer's scratch with `m` (the model's memory, where its kernels work in place). */
  useMemory(m: Required<ScratchMemory>): void {
    this.memoryRef.allocate = m.allocate;
    this.memoryRef.release = m.release;
  }

  build(inputShape: readonly number[]): number[] {
    const ctx = { path: `layers[${this.index}]`, layerIndex: this.index };
    const out = this.def.outputShape(inputShape, this.config, ctx);
    this.inputShape = [...inputShape];
    this.outputShape = out;
    this.inSize = sizeOfShape(inputShape);
    this.outSize = sizeOfShape(out);
    this.paramDecls = this.def.paramDecls(inputShape, this.config);
    this.bufferDecls = this.def.bufferDecls?.(inputShape, this.config) ?? [];
    return [...out];
  }

  get paramCount(): number {
    let n = 0;
    for (const p of this.paramDecls) n += sizeOfShape(p.shape);
    return n;
  }

  attach(params: readonly LayerParameter[], buffers: readonly LayerBuffer[]): void {
    if (params.length !== this.paramDecls.length) {
      throw new ModelStateError(`layers[${this.index}]: expected ${this.paramDecls.length} parameters, got ${params.length}`);
    }
    this.params = params;
    this.buffers = buffers;
    this.onAttach();
  }

  protected onAttach(): void {}

  flops(inputShape: readonly number[]): number {
    return this.def.flops(inputShape, this.config);
  }

  abstract forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array;
  abstract backward(dy: Float32Array, batch: number, needInputGrad: boolean, fromLogits?: boolean): Float32Array | undefined;
}
