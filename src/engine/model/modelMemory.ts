/**
 * The blocks a model allocated from its kernel set's allocator (e.g. the WebAssembly
 * memory's arena): weights, gradients, buffers, optimizer slots and layer scratch that the
 * kernels use in place. They are given back by `Sequential.dispose()`, or when the model is
 * garbage-collected (a FinalizationRegistry), so a long-lived thread that builds model
 * after model (a job worker, the prediction cache) reuses the same memory.
 *
 * Views into a model's weights (`params[i].value`, `storage`) belong to the model: copy
 * what must outlive it (`getWeights()`, checkpoints and predictions are copies).
 */
export class ModelMemory {
  private readonly blocks = new Set<Float32Array>();

  constructor(
    private readonly allocateBlock: (n: number) => Float32Array,
    private readonly releaseBlock: (x: Float32Array) => void,
  ) {}

  readonly allocate = (n: number): Float32Array => {
    const a = this.allocateBlock(n);
    this.blocks.add(a);
    return a;
  };

  readonly release = (x: Float32Array): void => {
    if (this.blocks.delete(x)) this.releaseBlock(x);
  };

  releaseAll(): void {
    for (const b of this.blocks) this.releaseBlock(b);
    this.blocks.clear();
  }

  get blockCount(): number {
    return this.blocks.size;
  }
}

const registry = new FinalizationRegistry<ModelMemory>((m) => m.releaseAll());

/** Frees `memory` when `owner` is collected (unless `forget` was called first). */
export function releaseWhenCollected(owner: object, memory: ModelMemory): void {
  registry.register(owner, memory, memory);
}

export function forget(memory: ModelMemory): void {
  registry.unregister(memory);
}
