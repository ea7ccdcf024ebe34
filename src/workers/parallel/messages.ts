/** What a helper thread gets at start (workerData) and sends back once (ready / failed). */
export interface HelperInit {
  /** This helper's replica index (1..threads-1; the main thread is 0). */
  index: number;
  spec: unknown;
  seed: number;
  loss: string;
  /** The shared weights and buffers, and this helper's own gradient array (all SharedArrayBuffer-backed). */
  values: Float32Array;
  bufferValues: Float32Array;
  grads: Float32Array;
  control: SharedArrayBuffer;
  /** One float64 per thread: each helper's slice loss. */
  losses: SharedArrayBuffer;
  /** Per-helper error message bytes (ERROR_BYTES each). */
  errors: SharedArrayBuffer;
  /** The batch, shared: inputs, labels, sample weights and (written back) predictions. */
  x: Float32Array;
  y: Float32Array;
  w: Float32Array;
  out: Float32Array;
  xSize: number;
  ySize: number;
  outSize: number;
  /** For tests: this helper throws at that step (1-based), to exercise the error path. */
  failAtStep?: number;
}

export type HelperMessage = { type: 'ready' } | { type: 'failed'; message: string };
