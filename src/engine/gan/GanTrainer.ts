/**
 * A GAN: a generator G (latent vector → sample) and a discriminator D
 * (sample → one logit, or a sigmoid probability), each a Sequential with its
 * own optimizer, trained with alternating updates and the standard
 * non-saturating loss:
 *   D minimises bce(D(x), 1) + bce(D(G(z)), 0)
 *   G minimises bce(D(G(z)), 1)
 * from D's logits (when D ends in sigmoid, the sigmoid is fused into the loss).
 *
 * One training step = `dSteps` discriminator updates (each on a fresh real
 * batch and fresh noise) and one generator update (fresh noise). The generator's
 * gradient is dL/dx of D's input (D's backward with `inputGrad`), then G's
 * backward; D's parameter grads from that pass are discarded.
 *
 * Isolation: a D step does not change G (G runs forward in training mode, its
 * batch-norm moving statistics are restored afterwards) and a G step does not
 * change D (same for D's buffers, and D's grads are zeroed). G's moving
 * statistics are updated by the G step's forward only.
 *
 * Randomness: G is initialised from `seed`, D from `seed + 1`; batch order uses
 * the trainer's shuffle Rng, latent noise a separate noise Rng, dropout each
 * network's own training Rng. The fixed noise for `sampleGrid` comes from a
 * fourth stream and is saved in checkpoints. Everything is seeded, so a seed
 * gives bit-identical weights and a checkpoint resumes bit-identically.
 */
import { ModelStateError, NonFiniteLossError, SpecError, TrainingAbortedError } from '../errors.ts';
import type { MatmulKernelSet } from '../layers/layerEnv.ts';
import { Sequential } from '../model/Sequential.ts';
import { createOptimizer } from '../optim/createOptimizer.ts';
import type { Optimizer } from '../optim/types.ts';
import { Rng, type RngState } from '../rng.ts';
import { gather, toDataset, type DataInput, type Dataset } from '../train/data.ts';
import { replayEpochOrder, startEpochOrder } from '../train/epochOrder.ts';
import { bceLogitsMean } from './ganLoss.ts';
import { decodeGanCheckpoint, encodeGanCheckpoint, type GanProgress } from './ganCheckpoint.ts';
import { generatorOutputRange, tileSamples, type ImageGrid, type SampleRange } from './sampleGrid.ts';
import { yieldToEventLoop } from '../train/yieldToEventLoop.ts';
import { runHooks, type HookResult } from '../train/callbacks.ts';

export interface GanOptions {
  /** Generator spec: `inputShape: [latentDim]`. */
  generator: unknown;
  /** Discriminator spec: `inputShape` = the generator's output shape; output one logit (linear) or sigmoid per sample. */
  discriminator: unknown;
  /** Optimizer config per network (default `{ type: 'adam', learningRate: 2e-4, beta1: 0.5 }`). */
  generatorOptimizer?: unknown;
  discriminatorOptimizer?: unknown;
  /** Discriminator updates per generator update (default 1). */
  dSteps?: number;
  /** Seed of everything (default random; see `gan.seed`). */
  seed?: number;
  /** Number of fixed latent vectors kept for `sampleGrid` (default 64). */
  fixedSamples?: number;
  /** Value range of the generator's output for images; default from its last activation (tanh [-1,1], sigmoid [0,1]; otherwise [-1,1]). */
  sampleRange?: SampleRange;
  /** Matmul kernels for both networks (default WebAssembly SIMD). */
  kernels?: MatmulKernelSet;
}

export type GanLogs = Record<string, number>;

/** What a GAN callback returns: true (or a promise of true) stops training. */
export type GanHookResult = HookResult;

export interface GanCallback {
  /** After each training step (dSteps D updates + 1 G update): `d_loss`, `d_acc_real`, `d_acc_fake` (means over the D updates), `g_loss`. */
  onStepEnd?(step: number, logs: GanLogs, info: { epoch: number; stepInEpoch: number }): GanHookResult;
  /** After each epoch with the epoch's means of the same metrics. */
  onEpochEnd?(epoch: number, logs: GanLogs): GanHookResult;
}

export interface GanFitOptions {
  /** Total epochs to reach: training starts at `progress.epoch` (0, or where a previous fit / loaded checkpoint stopped). */
  epochs?: number;
  /** Real samples per discriminator update (default 32); the last incomplete batch of an epoch is dropped. */
  batchSize?: number;
  callbacks?: GanCallback | GanCallback[];
  /** Rejects with TrainingAbortedError (between steps). */
  signal?: AbortSignal;
}

export interface GanHistory {
  epoch: number[];
  history: Record<string, number[]>;
  stopReason: 'completed' | 'stopped';
}

export const GAN_METRICS = ['d_loss', 'g_loss', 'd_acc_real', 'd_acc_fake'] as const;

const DEFAULT_OPTIMIZER = { type: 'adam', learningRate: 2e-4, beta1: 0.5 };
const SHUFFLE_STREAM = 0x5bd1e995;
const NOISE_STREAM = 0x27d4eb2f;
const FIXED_STREAM = 0x165667b1;
const YIELD_MS = 50;

export class GanTrainer {
  readonly generator: Sequential;
  readonly discriminator: Sequential;
  readonly generatorOptimizer: Optimizer;
  readonly discriminatorOptimizer: Optimizer;
  readonly seed: number;
  readonly latentDim: number;
  readonly dSteps: number;
  readonly sampleShape: readonly number[];
  /** Fixed latent vectors [fixedSamples, latentDim] for comparable sample grids across epochs. */
  readonly fixedNoise: Float32Array;
  readonly sampleRange: SampleRange;
  /** Batch order. */
  readonly shuffleRng: Rng;
  /** Latent noise of training steps and `predict(n)`. */
  readonly noiseRng: Rng;
  readonly progress: GanProgress = { epoch: 0, stepInEpoch: 0, step: 0, epochStartRng: null, sums: [0, 0, 0, 0], batchSize: 0, trainCount: 0 };
  /** Set to true (e.g. from a callback) to stop after the current step. */
  stopTraining = false;
  private resumed = false;
  private readonly dSigmoid: boolean;
  private readonly dOutSize: number;
  private dGrad: Float32Array = new Float32Array(0);
  private zBuf: Float32Array = new Float32Array(0);
  private fitting = false;

  constructor(options: GanOptions) {
    const seed = options.seed ?? Math.floor(Math.random() * 4294967296);
    if (!Number.isInteger(seed)) throw new SpecError('seed', `must be an integer, got ${seed}`);
    this.seed = seed >>> 0;
    const kernels = options.kernels ? { kernels: options.kernels } : {};
    this.generator = Sequential.fromSpec(options.generator, { seed: this.seed, ...kernels });
    this.discriminator = Sequential.fromSpec(options.discriminator, { seed: (this.seed + 1) >>> 0, ...kernels });
    const g = this.generator;
    const d = this.discriminator;
    if (g.inputShape.length !== 1) throw new SpecError('generator.inputShape', `must be [latentDim], got [${g.inputShape.join(', ')}]`);
    this.latentDim = g.inputShape[0];
    this.sampleShape = [...g.outputShape];
    const same = d.inputShape.length === g.outputShape.length && d.inputShape.every((v, i) => v === g.outputShape[i]);
    if (!same) {
      throw new SpecError('discriminator.inputShape', `must equal the generator's output shape [${g.outputShape.join(', ')}], got [${d.inputShape.join(', ')}]`);
    }
    const lastD = d.layers[d.layers.length - 1];
    const act = lastD.outputActivation;
    if (act !== undefined && act !== 'linear' && act !== 'sigmoid') {
      throw new SpecError('discriminator.layers', `the last layer must output logits (linear) or sigmoid, got activation ${act}`);
    }
    this.dSigmoid = act === 'sigmoid';
    this.dOutSize = d.outputSize;
    this.dSteps = options.dSteps ?? 1;
    if (!Number.isInteger(this.dSteps) || this.dSteps < 1) throw new SpecError('dSteps', `must be a positive integer, got ${this.dSteps}`);
    this.generatorOptimizer = createOptimizer(options.generatorOptimizer ?? DEFAULT_OPTIMIZER, 'generatorOptimizer');
    this.discriminatorOptimizer = createOptimizer(options.discriminatorOptimizer ?? DEFAULT_OPTIMIZER, 'discriminatorOptimizer');
    // Each optimizer's slots in its network's memory, and its fast update loop.
    this.generatorOptimizer.useKernels?.(g.optimizerKernels());
    this.discriminatorOptimizer.useKernels?.(d.optimizerKernels());
    this.shuffleRng = new Rng((this.seed + SHUFFLE_STREAM) >>> 0);
    this.noiseRng = new Rng((this.seed + NOISE_STREAM) >>> 0);
    const fixed = options.fixedSamples ?? 64;
    if (!Number.isInteger(fixed) || fixed < 1) throw new SpecError('fixedSamples', `must be a positive integer, got ${fixed}`);
    this.fixedNoise = new Float32Array(fixed * this.latentDim);
    const frng = new Rng((this.seed + FIXED_STREAM) >>> 0);
    for (let i = 0; i < this.fixedNoise.length; i++) this.fixedNoise[i] = frng.normal();
    this.sampleRange = options.sampleRange ?? generatorOutputRange(g.layers);
  }

  /** A larger buffer in `net`'s memory (where its kernels read it in place) in place of `old`. */
  private regrow(net: Sequential, old: Float32Array, n: number): Float32Array {
    if (old.length > 0) net.releaseScratch(old);
    return net.allocateScratch(n);
  }

  /** Fills `out` with standard normal latent vectors from the noise stream. */
  private noise(n: number): Float32Array {
    const len = n * this.latentDim;
    if (this.zBuf.length < len) this.zBuf = this.regrow(this.generator, this.zBuf, len);
    const z = this.zBuf.subarray(0, len);
    for (let i = 0; i < len; i++) z[i] = this.noiseRng.normal();
    return z;
  }

  private grad(n: number): Float32Array {
    if (this.dGrad.length < n) this.dGrad = this.regrow(this.discriminator, this.dGrad, n);
    return this.dGrad.subarray(0, n);
  }

  /** D's logits of its last forward. */
  private dLogits(batch: number): Float32Array {
    const d = this.discriminator;
    const src = this.dSigmoid ? (d.layers[d.layers.length - 1].logits as Float32Array) : d.lastOutput;
    return src.subarray(0, batch * this.dOutSize);
  }

  /**
   * Computes the discriminator loss bce(D(real), 1) + bce(D(G(z)), 0) on `batch` real samples and
   * `batch` latent vectors `z`, leaving dL/dθ_D in the discriminator's grads (G is left unchanged).
   * Does not step. Returns the loss and D's accuracy on the real and the fake half.
   */
  discriminatorGradients(real: Float32Array, z: Float32Array, batch: number): { dLoss: number; accReal: number; accFake: number } {
    const g = this.generator;
    const d = this.discriminator;
    const saved = g.storage.bufferValues.length > 0 ? g.storage.bufferValues.slice() : null;
    const fake = g.forward(z, batch, true);
    if (saved) g.storage.bufferValues.set(saved);
    d.storage.grads.fill(0);
    const n = batch * this.dOutSize;
    const gr = this.grad(n);
    d.forward(real, batch, true);
    const r = bceLogitsMean(this.dLogits(batch), n, 1, gr);
    d.backward(gr, batch, { fromLogits: this.dSigmoid });
    d.forward(fake, batch, true);
    const f = bceLogitsMean(this.dLogits(batch), n, 0, gr);
    const dLoss = r.loss + f.loss;
    if (Number.isFinite(dLoss)) d.backward(gr, batch, { fromLogits: this.dSigmoid });
    return { dLoss, accReal: r.accuracy, accFake: f.accuracy };
  }

  /**
   * One discriminator update on `real` (batch samples) and fresh noise; returns its loss and accuracies.
   * Throws NonFiniteLossError without updating (weights, optimizer, moving statistics) when the loss is not finite.
   */
  discriminatorStep(real: Float32Array, batch: number, epoch = this.progress.epoch): { dLoss: number; accReal: number; accFake: number } {
    const d = this.discriminator;
    const saved = d.storage.bufferValues.slice();
    const res = this.discriminatorGradients(real, this.noise(batch), batch);
    if (!Number.isFinite(res.dLoss)) {
      d.storage.grads.fill(0);
      d.storage.bufferValues.set(saved);
      throw new NonFiniteLossError(this.progress.step, epoch, res.dLoss);
    }
    this.discriminatorOptimizer.step(d.params);
    return res;
  }

  /**
   * Computes the generator loss bce(D(G(z)), 1) on `batch` latent vectors and leaves dL/dθ_G in
   * the generator's grads (D's weights, grads and buffers are left unchanged). Does not step.
   */
  generatorGradients(z: Float32Array, batch: number): number {
    const g = this.generator;
    const d = this.discriminator;
    g.storage.grads.fill(0);
    const fake = g.forward(z, batch, true);
    const savedD = d.storage.bufferValues.length > 0 ? d.storage.bufferValues.slice() : null;
    d.forward(fake, batch, true);
    if (savedD) d.storage.bufferValues.set(savedD);
    const n = batch * this.dOutSize;
    const gr = this.grad(n);
    const { loss } = bceLogitsMean(this.dLogits(batch), n, 1, gr);
    if (!Number.isFinite(loss)) return loss;
    const dx = d.backward(gr, batch, { fromLogits: this.dSigmoid, inputGrad: true });
    d.storage.grads.fill(0);
    if (!dx) throw new ModelStateError('the discriminator returned no input gradient');
    g.backward(dx, batch);
    return loss;
  }

  /** One generator update on fresh noise; throws NonFiniteLossError without updating anything in G on a non-finite loss. */
  generatorStep(batch: number, epoch = this.progress.epoch): number {
    const g = this.generator;
    const saved = g.storage.bufferValues.slice();
    const loss = this.generatorGradients(this.noise(batch), batch);
    if (!Number.isFinite(loss)) {
      g.storage.grads.fill(0);
      g.storage.bufferValues.set(saved);
      throw new NonFiniteLossError(this.progress.step, epoch, loss);
    }
    this.generatorOptimizer.step(this.generator.params);
    return loss;
  }

  /** One training step: `dSteps` discriminator updates on `real` (dSteps·batch samples) and one generator update. */
  trainStep(real: Float32Array, batch: number, epoch = this.progress.epoch): GanLogs {
    const size = this.discriminator.inputShape.reduce((a, b) => a * b, 1);
    const dl = { dLoss: 0, accReal: 0, accFake: 0 };
    for (let k = 0; k < this.dSteps; k++) {
      const r = this.discriminatorStep(real.subarray(k * batch * size, (k + 1) * batch * size), batch, epoch);
      dl.dLoss += r.dLoss / this.dSteps;
      dl.accReal += r.accReal / this.dSteps;
      dl.accFake += r.accFake / this.dSteps;
    }
    const gLoss = this.generatorStep(batch, epoch);
    this.progress.step++;
    return { d_loss: dl.dLoss, g_loss: gLoss, d_acc_real: dl.accReal, d_acc_fake: dl.accFake };
  }

  /**
   * Trains over the real samples (`{ data, shape: [n, ...sampleShape] }`), shuffled each epoch.
   * Callbacks may stop training (return true or set `stopTraining`); a non-finite loss rejects with
   * NonFiniteLossError (that update is not applied). After `loadCheckpoint` it continues mid-epoch.
   */
  async fit(real: DataInput, options: GanFitOptions = {}): Promise<GanHistory> {
    if (this.fitting) throw new ModelStateError('fit is already running on this GAN');
    this.fitting = true;
    try {
      return await this.fitInner(toDataset(real, 'real'), options);
    } finally {
      this.fitting = false;
    }
  }

  private async fitInner(x: Dataset, o: GanFitOptions): Promise<GanHistory> {
    const inShape = this.discriminator.inputShape;
    const ok = x.shape.length === inShape.length + 1 && inShape.every((v, i) => v === x.shape[i + 1]);
    if (!ok) throw new SpecError('real', `samples must have shape [n, ${inShape.join(', ')}], got [${x.shape.join(', ')}]`);
    const epochs = o.epochs ?? 1;
    if (!Number.isInteger(epochs) || epochs < 0) throw new SpecError('epochs', `must be a non-negative integer, got ${epochs}`);
    const batchSize = o.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new SpecError('batchSize', `must be a positive integer, got ${batchSize}`);
    const n = x.count;
    const perStep = batchSize * this.dSteps;
    const steps = Math.floor(n / perStep);
    if (steps < 1) throw new SpecError('batchSize', `need at least batchSize·dSteps = ${perStep} real samples, got ${n}`);
    const callbacks = o.callbacks === undefined ? [] : Array.isArray(o.callbacks) ? [...o.callbacks] : [o.callbacks];
    const p = this.progress;
    const resume = this.resumed && p.stepInEpoch > 0;
    if (resume && (p.batchSize !== batchSize || p.trainCount !== n)) {
      throw new ModelStateError(`the checkpoint stopped mid-epoch with batchSize ${p.batchSize} over ${p.trainCount} samples; resume with the same (got ${batchSize} over ${n})`);
    }
    this.resumed = false;
    const rng = this.shuffleRng;
    const order = new Int32Array(n);
    const xb = this.discriminator.allocateScratch(perStep * x.size);
    const history: GanHistory = { epoch: [], history: {}, stopReason: 'completed' };
    let lastYield = performance.now();
    this.stopTraining = false;
    for (let epoch = p.epoch; epoch < epochs; epoch++) {
      const start = epoch === p.epoch && resume ? p.stepInEpoch : 0;
      if (start > 0) {
        replayEpochOrder(rng, order, n, p.epochStartRng);
      } else {
        p.epochStartRng = startEpochOrder(rng, order, n);
        p.stepInEpoch = 0;
        p.sums = [0, 0, 0, 0];
        p.batchSize = batchSize;
        p.trainCount = n;
      }
      let stop = false;
      for (let s = start; s < steps; s++) {
        if (o.signal?.aborted) throw new TrainingAbortedError(epoch, p.step);
        gather(x, order, s * perStep, perStep, xb);
        const logs = this.trainStep(xb, batchSize, epoch);
        GAN_METRICS.forEach((k, i) => { p.sums[i] += logs[k]; });
        p.stepInEpoch = s + 1;
        if (s + 1 === steps) {
          p.epoch = epoch + 1;
          p.stepInEpoch = 0;
        }
        if (await runHooks(callbacks, (c) => c.onStepEnd?.(p.step, logs, { epoch, stepInEpoch: s }))) this.stopTraining = true;
        if (this.stopTraining) {
          stop = true;
          break;
        }
        if (performance.now() - lastYield > YIELD_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      const done = p.epoch === epoch + 1 ? steps : p.stepInEpoch;
      const logs: GanLogs = {};
      GAN_METRICS.forEach((k, i) => { logs[k] = done === 0 ? 0 : p.sums[i] / done; });
      history.epoch.push(epoch);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      if (await runHooks(callbacks, (c) => c.onEpochEnd?.(epoch, logs))) this.stopTraining = true;
      if (stop || this.stopTraining) {
        history.stopReason = 'stopped';
        break;
      }
      await yieldToEventLoop();
      lastYield = performance.now();
    }
    this.discriminator.releaseScratch(xb);
    return history;
  }

  /**
   * Generator samples [n, ...sampleShape] from `latents` ([n·latentDim]) or `n` fresh latent vectors
   * (noise stream). Inference mode (batch-norm moving statistics) unless `training` (batch statistics;
   * G's moving statistics are left unchanged either way).
   */
  predict(latents: Float32Array | number, options: { batchSize?: number; training?: boolean } = {}): { data: Float32Array; shape: number[] } {
    const z = typeof latents === 'number' ? this.noise(latents).slice() : latents;
    if (z.length % this.latentDim !== 0) throw new SpecError('latents', `length ${z.length} is not a multiple of latentDim ${this.latentDim}`);
    const n = z.length / this.latentDim;
    const g = this.generator;
    const size = g.outputSize;
    const out = new Float32Array(n * size);
    const training = options.training ?? false;
    const bs = training ? n : (options.batchSize ?? 64);
    const saved = training && g.storage.bufferValues.length > 0 ? g.storage.bufferValues.slice() : null;
    for (let i = 0; i < n; i += bs) {
      const cnt = Math.min(bs, n - i);
      const y = g.forward(z.subarray(i * this.latentDim, (i + cnt) * this.latentDim), cnt, training);
      out.set(y.subarray(0, cnt * size), i * size);
    }
    if (saved) g.storage.bufferValues.set(saved);
    return { data: out, shape: [n, ...this.sampleShape] };
  }

  /**
   * The samples of `noise` (default: the fixed noise) tiled into a rows×cols image grid with
   * 1-pixel separators, values scaled from `sampleRange` to 0..255.
   */
  sampleGrid(noise?: Float32Array | null, rows?: number, cols?: number, options: { training?: boolean; separator?: number } = {}): ImageGrid {
    const z = noise ?? this.fixedNoise;
    const n = z.length / this.latentDim;
    const c = cols ?? Math.ceil(Math.sqrt(n));
    // Full rows only by default (10 vectors: 2 rows of 4), so any number of vectors tiles.
    const r = rows ?? Math.max(1, Math.floor(n / c));
    if (r * c > n) throw new SpecError('sampleGrid', `${r}x${c} tiles need ${r * c} latent vectors, got ${n}`);
    const samples = this.predict(z.subarray(0, r * c * this.latentDim), { training: options.training });
    return tileSamples(samples.data, this.sampleShape, r, c, this.sampleRange, options.separator);
  }

  /** Both networks, both optimizers, all RNG streams, the fixed noise and the progress, in one safetensors. */
  saveCheckpoint(): Uint8Array {
    return encodeGanCheckpoint({
      generator: this.generator,
      discriminator: this.discriminator,
      generatorOptimizer: this.generatorOptimizer.getState(),
      discriminatorOptimizer: this.discriminatorOptimizer.getState(),
      rngs: {
        shuffle: this.shuffleRng.getState(),
        noise: this.noiseRng.getState(),
        generator: this.generator.getRngState(),
        discriminator: this.discriminator.getRngState(),
      },
      fixedNoise: this.fixedNoise,
      progress: this.progress,
      seed: this.seed,
      dSteps: this.dSteps,
    });
  }

  /** Restores a checkpoint of a GAN built from the same specs; the next `fit` continues where it stopped. */
  loadCheckpoint(bytes: Uint8Array): void {
    const c = decodeGanCheckpoint(bytes, this.generator, this.discriminator, this.fixedNoise);
    const check = (o: Optimizer, t: string, what: string): void => {
      if (o.type !== t) throw new ModelStateError(`checkpoint's ${what} optimizer is ${t} but this GAN uses ${o.type}`);
    };
    check(this.generatorOptimizer, c.generatorOptimizer.type, 'generator');
    check(this.discriminatorOptimizer, c.discriminatorOptimizer.type, 'discriminator');
    this.generatorOptimizer.setState(c.generatorOptimizer);
    this.discriminatorOptimizer.setState(c.discriminatorOptimizer);
    this.shuffleRng.setState(c.rngs.shuffle);
    this.noiseRng.setState(c.rngs.noise);
    this.generator.trainRng.setState(c.rngs.generator);
    this.discriminator.trainRng.setState(c.rngs.discriminator);
    Object.assign(this.progress, c.progress);
    this.resumed = true;
  }

  /** Generator weights as a PyTorch state_dict safetensors (`layers.<i>.*`). */
  saveGeneratorWeights(): Uint8Array {
    return this.generator.saveWeights();
  }

  /** Discriminator weights as a PyTorch state_dict safetensors (`layers.<i>.*`). */
  saveDiscriminatorWeights(): Uint8Array {
    return this.discriminator.saveWeights();
  }

  /** The RNG states (for tests). */
  getRngStates(): { shuffle: RngState; noise: RngState; generator: RngState; discriminator: RngState } {
    return { shuffle: this.shuffleRng.getState(), noise: this.noiseRng.getState(), generator: this.generator.getRngState(), discriminator: this.discriminator.getRngState() };
  }
}
