/**
 * Data-parallel gradients over threads, for one model: `threads - 1` helper threads each
 * hold a replica attached to the model's SharedArrayBuffer weights (with its own gradient
 * array). Per batch (`computeGradients`, a GradientStrategy for fit):
 *   1. the batch is split into `threads` contiguous slices, fixed by the batch size and
 *      thread count; the helpers' rows are copied into a shared batch buffer;
 *   2. one Atomics.notify starts the helpers; the calling thread computes slice 0 on the
 *      model itself; each slice's loss and gradient are divided by the WHOLE batch size,
 *      so they sum to the single-thread result (regularisation is added once, by slice 0);
 *   3. it waits for the helpers (spin, then Atomics.wait), then adds their gradients into
 *      the model's in a fixed order (helper 1, 2, ...): bit-reproducible for a fixed seed
 *      and thread count. The optimizer step (fit's) then updates the shared weights.
 * Nothing is allocated or cloned per step. Models with buffers (batchNormalization's moving
 * statistics) are refused: each slice would update them concurrently with its own statistics.
 *
 *   const trainer = await ParallelTrainer.create(model, { threads: 2, batchSize: 128 });
 *   try { await model.fit(x, y, { batchSize: 128, gradients: trainer }); } finally { await trainer.close(); }
 */
import { Worker } from 'node:worker_threads';
import { sharedFloat32, type GradientStrategy, type Sequential } from '../../engine/index.ts';
import {
  BATCH, CMD, COMPUTE, DONE, END, ERROR, ERROR_BYTES, ERROR_LEN, EXIT, GEN, START, STATUS, WEIGHTS, controlInts, helperBase, waitChange,
} from './controlBlock.ts';
import type { HelperInit, HelperMessage } from './messages.ts';
import { ParallelTrainingError } from './ParallelTrainingError.ts';

export interface ParallelTrainerOptions {
  /** Threads computing gradients, the calling one included (1 = no helper). */
  threads: number;
  /** The largest batch `computeGradients` will get (fit's batchSize). */
  batchSize: number;
  /** For tests: helper 1 throws at this step (1-based). */
  failAtStep?: number;
}

const HELPER_URL = new URL('./helper.mjs', import.meta.url);
const CLOSE_TIMEOUT_MS = 5000;

export class ParallelTrainer implements GradientStrategy {
  readonly threads: number;
  readonly lastOutput: Float32Array;
  private readonly ctrl: Int32Array;
  private readonly losses: Float64Array;
  private readonly errors: Uint8Array;
  private readonly grads: Float32Array[];
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private readonly w: Float32Array;
  private readonly slice0 = { batch: 0, regularize: true };
  private workers: Worker[] = [];
  private closed = false;
  private failed: Error | null = null;

  private constructor(
    private readonly model: Sequential,
    private readonly maxBatch: number,
    private readonly xSize: number,
    private readonly ySize: number,
    private readonly outSize: number,
    threads: number,
  ) {
    this.threads = threads;
    this.ctrl = new Int32Array(new SharedArrayBuffer(controlInts(threads) * 4));
    this.losses = new Float64Array(new SharedArrayBuffer(threads * 8));
    this.errors = new Uint8Array(new SharedArrayBuffer(threads * ERROR_BYTES));
    this.grads = [];
    for (let h = 1; h < threads; h++) this.grads.push(sharedFloat32(model.paramCount));
    this.x = sharedFloat32(maxBatch * xSize);
    this.y = sharedFloat32(maxBatch * ySize);
    this.w = sharedFloat32(maxBatch);
    this.lastOutput = sharedFloat32(maxBatch * outSize);
  }

  /** Starts the helper threads and resolves once each has built its replica. */
  static async create(model: Sequential, options: ParallelTrainerOptions): Promise<ParallelTrainer> {
    const { threads, batchSize } = options;
    if (!Number.isInteger(threads) || threads < 1) throw new ParallelTrainingError(`threads must be a positive integer, got ${threads}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ParallelTrainingError(`batchSize must be a positive integer, got ${batchSize}`);
    if (!model.lossName) throw new ParallelTrainingError('compile the model before creating a ParallelTrainer');
    if (threads > 1 && model.buffers.length > 0) {
      const names = model.buffers.map((b) => b.name).join(', ');
      throw new ParallelTrainingError(
        `data-parallel training of a model with buffers (${names}) is not supported: batchNormalization's statistics would be per slice; train it with threads: 1`,
      );
    }
    const xSize = model.inputShape.reduce((a, b) => a * b, 1);
    const ySize = model.lossHead ? model.lossHead.labelSize(model.outputSize, model.outputCols) : model.outputSize;
    const t = new ParallelTrainer(model, batchSize, xSize, ySize, model.outputSize, threads);
    await t.start(options.failAtStep);
    return t;
  }

  private async start(failAtStep: number | undefined): Promise<void> {
    const { values, bufferValues } = this.model.storage;
    const ready: Promise<void>[] = [];
    for (let h = 1; h < this.threads; h++) {
      const init: HelperInit = {
        index: h, spec: this.model.spec, seed: this.model.seed, loss: this.model.lossName as string,
        values, bufferValues, grads: this.grads[h - 1],
        control: this.ctrl.buffer as SharedArrayBuffer, losses: this.losses.buffer as SharedArrayBuffer, errors: this.errors.buffer as SharedArrayBuffer,
        x: this.x, y: this.y, w: this.w, out: this.lastOutput, xSize: this.xSize, ySize: this.ySize, outSize: this.outSize,
        ...(failAtStep !== undefined && h === 1 ? { failAtStep } : {}),
      };
      const worker = new Worker(HELPER_URL, { workerData: init });
      this.workers.push(worker);
      ready.push(new Promise<void>((resolve, reject) => {
        worker.once('message', (m: HelperMessage) => (m.type === 'ready' ? resolve() : reject(new ParallelTrainingError(`helper ${h} failed to start: ${m.message}`))));
        worker.once('error', (e) => reject(new ParallelTrainingError(`helper ${h} crashed: ${e.message}`)));
        worker.once('exit', (code) => reject(new ParallelTrainingError(`helper ${h} exited with code ${code} before it was ready`)));
      }));
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await this.close();
      throw e;
    }
    for (const worker of this.workers) worker.removeAllListeners();
    for (const worker of this.workers) {
      worker.on('error', (e) => {
        this.failed ??= e;
      });
    }
  }

  /** Rows [start, end) of slice `k` of a batch of `batch` rows. */
  private bounds(k: number, batch: number): [number, number] {
    return [Math.floor((k * batch) / this.threads), Math.floor(((k + 1) * batch) / this.threads)];
  }

  /** The whole batch's gradient in the model's grads; returns its loss. */
  computeGradients(x: Float32Array, y: Float32Array, batch: number, weights: Float32Array | null): number {
    if (this.closed) throw new ParallelTrainingError('the ParallelTrainer is closed');
    if (this.failed) throw new ParallelTrainingError(`a helper thread crashed: ${this.failed.message}`);
    if (batch > this.maxBatch) throw new ParallelTrainingError(`batch of ${batch} rows exceeds the trainer's batchSize ${this.maxBatch}`);
    const ctrl = this.ctrl;
    const [, end0] = this.bounds(0, batch);
    let gen = Atomics.load(ctrl, GEN);
    const active = this.threads > 1 && end0 < batch;
    if (active) {
      for (let h = 1; h < this.threads; h++) {
        const [s, e] = this.bounds(h, batch);
        Atomics.store(ctrl, helperBase(h) + START, s);
        Atomics.store(ctrl, helperBase(h) + END, e);
      }
      const [s1] = this.bounds(1, batch);
      this.x.set(x.subarray(s1 * this.xSize, batch * this.xSize), s1 * this.xSize);
      this.y.set(y.subarray(s1 * this.ySize, batch * this.ySize), s1 * this.ySize);
      if (weights) this.w.set(weights.subarray(s1, batch), s1);
      Atomics.store(ctrl, BATCH, batch);
      Atomics.store(ctrl, WEIGHTS, weights ? 1 : 0);
      Atomics.store(ctrl, CMD, COMPUTE);
      gen = Atomics.add(ctrl, GEN, 1) + 1;
      Atomics.notify(ctrl, GEN);
    }
    this.slice0.batch = batch;
    let loss: number;
    try {
      loss = this.model.computeGradients(x, y, end0, weights, true, this.slice0);
      this.lastOutput.set(this.model.lastOutput.subarray(0, end0 * this.outSize));
    } finally {
      // Even when slice 0 throws: the helpers must be idle before anything else touches the batch.
      if (active) this.waitHelpers(gen);
    }
    if (!active) return loss;
    for (let h = 1; h < this.threads; h++) {
      if (Atomics.load(ctrl, helperBase(h) + STATUS) === ERROR) {
        const len = Atomics.load(ctrl, helperBase(h) + ERROR_LEN);
        const msg = new TextDecoder().decode(this.errors.slice(h * ERROR_BYTES, h * ERROR_BYTES + len));
        throw new ParallelTrainingError(`helper thread ${h}: ${msg}`);
      }
    }
    // Fixed order: slice 0, then helper 1, 2, ... (deterministic for a thread count).
    const g = this.model.storage.grads;
    for (let h = 1; h < this.threads; h++) {
      const [s, e] = this.bounds(h, batch);
      if (e === s) continue;
      const gh = this.grads[h - 1];
      for (let i = 0, n = g.length; i < n; i++) g[i] += gh[i];
      loss += this.losses[h];
    }
    return loss;
  }

  private waitHelpers(gen: number): void {
    const ctrl = this.ctrl;
    for (let h = 1; h < this.threads; h++) {
      const done = helperBase(h) + DONE;
      let v = Atomics.load(ctrl, done);
      while (v !== gen) {
        waitChange(ctrl, done, v);
        v = Atomics.load(ctrl, done);
      }
    }
  }

  /** Stops the helper threads and waits for them to exit (terminates any that do not within 5 s). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CMD, EXIT);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      if (w.threadId === -1) return resolve();
      const timer = setTimeout(() => void w.terminate(), CLOSE_TIMEOUT_MS);
      w.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    })));
    this.workers = [];
  }
}
