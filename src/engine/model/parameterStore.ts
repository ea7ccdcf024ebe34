/**
 * Allocates every layer's parameters, gradients and buffers in three
 * SharedArrayBuffers (values, grads, buffers), so worker threads can read the
 * weights and write gradients without copying. Each parameter is a view named
 * `layers.<i>.<name>`, in layer order, weight before bias.
 */
import type { Layer, LayerBuffer, LayerParameter } from '../layers/types.ts';
import { sizeOfShape } from '../layers/baseLayer.ts';
import { ModelStateError } from '../errors.ts';

/**
 * Existing storage to attach instead of allocating: e.g. a worker thread's model over
 * the weights another thread owns. `grads` may be omitted (each thread then has its own).
 */
export interface SharedStorage {
  readonly values: Float32Array;
  readonly bufferValues: Float32Array;
  readonly grads?: Float32Array;
}

export interface ParameterStore {
  readonly values: Float32Array;
  readonly grads: Float32Array;
  readonly bufferValues: Float32Array;
  readonly params: readonly LayerParameter[];
  readonly buffers: readonly LayerBuffer[];
}

/** Allocates `n` zeroed floats; the default is a fresh SharedArrayBuffer. */
export type Float32Allocator = (n: number) => Float32Array;

export function sharedFloat32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4), 0, n);
}

export function allocateParameters(layers: readonly Layer[], existing?: SharedStorage, allocate: Float32Allocator = sharedFloat32): ParameterStore {
  const shared = (n: number): Float32Array => {
    const a = allocate(n);
    if (a.length !== n) throw new ModelStateError(`allocator returned ${a.length} floats for ${n}`);
    a.fill(0);
    return a;
  };
  let nParams = 0;
  let nBuffers = 0;
  for (const l of layers) {
    for (const p of l.paramDecls) nParams += sizeOfShape(p.shape);
    for (const b of l.bufferDecls) nBuffers += sizeOfShape(b.shape);
  }
  if (existing) {
    const check = (what: string, a: Float32Array | undefined, n: number): void => {
      if (a && a.length !== n) throw new ModelStateError(`storage.${what}: the model needs ${n} values, got ${a.length}`);
    };
    check('values', existing.values, nParams);
    check('bufferValues', existing.bufferValues, nBuffers);
    check('grads', existing.grads, nParams);
  }
  const values = existing?.values ?? shared(nParams);
  const grads = existing?.grads ?? shared(nParams);
  const bufferValues = existing?.bufferValues ?? shared(nBuffers);
  const params: LayerParameter[] = [];
  const buffers: LayerBuffer[] = [];
  let po = 0;
  let bo = 0;
  for (const l of layers) {
    const lp: LayerParameter[] = [];
    for (const d of l.paramDecls) {
      const n = sizeOfShape(d.shape);
      const p: LayerParameter = {
        name: `layers.${l.index}.${d.name}`,
        shape: [...d.shape],
        value: values.subarray(po, po + n),
        grad: grads.subarray(po, po + n),
        decay: d.decay,
        ...(d.regularizer ? { regularizer: d.regularizer } : {}),
      };
      po += n;
      lp.push(p);
    }
    const lb: LayerBuffer[] = [];
    for (const d of l.bufferDecls) {
      const n = sizeOfShape(d.shape);
      lb.push({ name: `layers.${l.index}.${d.name}`, shape: [...d.shape], value: bufferValues.subarray(bo, bo + n) });
      bo += n;
    }
    l.attach(lp, lb);
    params.push(...lp);
    buffers.push(...lb);
  }
  return { values, grads, bufferValues, params, buffers };
}
