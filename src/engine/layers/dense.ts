/**
 * Dense (fully connected): y = activation(x @ W^T + b), with W stored in
 * PyTorch's [out, in] layout so a checkpoint loads into `nn.Linear`.
 * Keras fields and defaults: units, activation='linear', useBias=true,
 * kernelInitializer='glorotUniform', biasInitializer='zeros',
 * kernelRegularizer, biasRegularizer.
 */
import { biasActivationBackward, biasActivationForward } from './biasActivation.ts';
import { parseInitializer, type InitializerConfig } from '../init/initializers.ts';
import { parseRegularizer, type RegularizerConfig } from '../regularizers/regularizers.ts';
import { boolean, enumName, fail, positiveInt } from '../model/fields.ts';
import { describeShape } from '../model/describe.ts';
import { ACTIVATIONS, ACTIVATION_FLOPS, matchActivation, type ActivationName } from './activations.ts';
import { BaseLayer, Scratch } from './baseLayer.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv, type MatmulKernelSet } from './layerEnv.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import type { ForwardContext, ParamDecl } from './types.ts';

export interface DenseConfig extends LayerConfigBase {
  type: 'dense';
  units: number;
  activation: ActivationName;
  useBias: boolean;
  kernelInitializer: InitializerConfig;
  biasInitializer: InitializerConfig;
  kernelRegularizer?: RegularizerConfig;
  biasRegularizer?: RegularizerConfig;
}

export const denseDef: LayerDef<DenseConfig> = {
  type: 'dense',
  fields: ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer'],
  parse(raw, ctx, name) {
    const cfg: DenseConfig = {
      type: 'dense',
      name,
      units: positiveInt(raw, 'units', ctx),
      activation: raw.activation === undefined || raw.activation === null
        ? 'linear'
        : enumName(raw.activation, ACTIVATIONS, ctx, 'activation', 'activation', matchActivation),
      useBias: boolean(raw, 'useBias', ctx, true),
      kernelInitializer: raw.kernelInitializer === undefined ? { type: 'glorotUniform' } : parseInitializer(raw.kernelInitializer, ctx, 'kernelInitializer'),
      biasInitializer: raw.biasInitializer === undefined ? { type: 'zeros' } : parseInitializer(raw.biasInitializer, ctx, 'biasInitializer'),
    };
    if (raw.kernelRegularizer !== undefined && raw.kernelRegularizer !== null) cfg.kernelRegularizer = parseRegularizer(raw.kernelRegularizer, ctx, 'kernelRegularizer');
    if (raw.biasRegularizer !== undefined && raw.biasRegularizer !== null) cfg.biasRegularizer = parseRegularizer(raw.biasRegularizer, ctx, 'biasRegularizer');
    return cfg;
  },
  outputShape(inputShape, cfg, ctx) {
    if (inputShape.length !== 1) {
      fail(ctx, undefined, `(dense): expects input of rank 1 but gets shape ${describeShape(inputShape)}; add a flatten layer before it`);
    }
    return [cfg.units];
  },
  paramDecls(inputShape, cfg) {
    const decls: ParamDecl[] = [
      { name: 'weight', shape: [cfg.units, inputShape[0]], initializer: cfg.kernelInitializer, regularizer: cfg.kernelRegularizer, decay: true },
    ];
    if (cfg.useBias) decls.push({ name: 'bias', shape: [cfg.units], initializer: cfg.biasInitializer, regularizer: cfg.biasRegularizer, decay: false });
    return decls;
  },
  flops(inputShape, cfg) {
    return 2 * inputShape[0] * cfg.units + (cfg.useBias ? cfg.units : 0) + ACTIVATION_FLOPS[cfg.activation] * cfg.units;
  },
  create(cfg, index, env) {
    return new Dense(cfg, index, env);
  },
};

/** Output units per block of a forward that overlaps an update of the weights (see forwardAsUpdated). */
const UNITS_PER_BLOCK = 16;

export class Dense extends BaseLayer<DenseConfig> {
  readonly outputActivation: ActivationName;
  readonly awaitsParams = true;
  readonly overwritesWeightGrad = true;
  private readonly z: Scratch;
  private readonly a: Scratch;
  private readonly dz: Scratch;
  private readonly dx: Scratch;
  private dwScratch: Float32Array = new Float32Array(0);
  private x: Float32Array = new Float32Array(0);
  private zView: Float32Array = new Float32Array(0);
  private aView: Float32Array = new Float32Array(0);

  private readonly kernels: MatmulKernelSet;
  private readonly allocate: (n: number) => Float32Array;

  constructor(cfg: DenseConfig, index: number, env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(denseDef, cfg, index);
    this.outputActivation = cfg.activation;
    this.kernels = env.kernels;
    this.allocate = env.allocate ?? ((n) => new Float32Array(n));
    [this.z, this.a, this.dz, this.dx] = [0, 1, 2, 3].map(() => new Scratch(env));
  }

  get logits(): Float32Array {
    return this.zView;
  }

  forward(x: Float32Array, batch: number, ctx: ForwardContext): Float32Array {
    const nIn = this.inSize;
    const nOut = this.outSize;
    const w = this.params[0].value;
    const z = this.z.get(batch * nOut);
    if (ctx.awaitParam) this.forwardAsUpdated(x, w, z, batch, ctx.awaitParam, ctx.paramReady);
    else this.kernels.matmulRowsNT(x, w, z, batch, nIn, nOut, 0, batch);
    const bias = this.config.useBias ? this.params[1].value : null;
    if (bias && ctx.awaitParam) ctx.awaitParam(bias, bias.length);
    return this.epilogue(x, z, batch, this.a);
  }

  /** The bias and the activation on z (output into `a`, z itself when linear); x, z and the output become the last forward's, for the backward. */
  private epilogue(x: Float32Array, z: Float32Array, batch: number, a: Scratch | Float32Array): Float32Array {
    const bias = this.config.useBias ? this.params[1].value : null;
    this.x = x;
    this.zView = z;
    this.aView = biasActivationForward(this.kernels, this.outputActivation, z, bias, batch, this.outSize, a);
    return this.aView;
  }

  /**
   * z = x @ W^T while another thread is still updating W front to back: a block of output
   * units (rows of W) at a time, each as soon as its rows are final; with `paramReady`, every
   * block already final in one product (the whole layer in one, as without an update, once
   * it is done). Every z element is the same dot product over the inputs as in one call, so
   * the result is the same.
   */
  private forwardAsUpdated(
    x: Float32Array, w: Float32Array, z: Float32Array, batch: number,
    awaitParam: (p: Float32Array, n: number) => void, paramReady: ((p: Float32Array, n: number) => boolean) | undefined,
  ): void {
    const nIn = this.inSize;
    const nOut = this.outSize;
    const block = Math.min(nOut, UNITS_PER_BLOCK);
    if (paramReady?.(w, nOut * nIn)) {
      this.kernels.matmulRowsNT(x, w, z, batch, nIn, nOut, 0, batch);
      return;
    }
    const part = this.dx.get(batch * nOut);
    for (let j0 = 0, j1 = 0; j0 < nOut; j0 = j1) {
      j1 = Math.min(nOut, j0 + block);
      awaitParam(w, j1 * nIn);
      while (j1 < nOut && paramReady?.(w, Math.min(nOut, j1 + block) * nIn)) j1 = Math.min(nOut, j1 + block);
      const cols = j1 - j0;
      this.kernels.matmulRowsNT(x, w.subarray(j0 * nIn, j1 * nIn), part, batch, nIn, cols, 0, batch);
      // An element loop: a subarray per row was ~0.06 us each, 8 blocks x 70 rows a step.
      for (let i = 0, src = 0; i < batch; i++) {
        const dst = i * nOut + j0;
        for (let j = 0; j < cols; j++) z[dst + j] = part[src++];
      }
    }
  }

  /**
   * Units [j0, j1) of x @ W^T for every row, straight into those columns of the [batch, units]
   * array `z` (one product over those rows of W: the dot products of the whole forward). The
   * bias and the activation come in `finishUnits`, over every unit at once.
   */
  forwardUnits(x: Float32Array, batch: number, j0: number, j1: number, z: Float32Array): void {
    const nIn = this.inSize;
    const nOut = this.outSize;
    if (j1 <= j0) return;
    this.kernels.matmulRowsNT(x, this.params[0].value.subarray(j0 * nIn, j1 * nIn), z.subarray(j0), batch, nIn, j1 - j0, 0, batch, nOut);
  }

  /**
   * After `forwardUnits` filled every unit of these rows of `z` ([batch, units]): the bias and
   * the activation, as the whole forward applies them to the rows (the output in `a` where the
   * activation writes one); `x` (the rows' input), `z` and the output become this layer's last
   * forward, for the backward. Returns the output.
   */
  finishUnits(x: Float32Array, z: Float32Array, a: Float32Array, batch: number): Float32Array {
    return this.epilogue(x, z.subarray(0, batch * this.outSize), batch, a);
  }

  backwardInputs(dy: Float32Array, batch: number, needInputGrad: boolean, fromLogits = false): { dx: Float32Array | undefined; dz: Float32Array; x: Float32Array } {
    const dz = biasActivationBackward(this.kernels, this.outputActivation, this.zView, this.aView, dy, null, batch, this.outSize, this.dz, fromLogits);
    return { dx: needInputGrad ? this.inputGrad(dz, batch) : undefined, dz, x: this.x };
  }

  /**
   * As `backward` on the whole batch: dW rows [j0, j1) = dzᵀ·x in one product over the rows
   * (added onto a regularizer's gradient, as there), the bias gradient summed row by row from
   * zero (or from its regularizer's gradient).
   */
  weightGradUnits(dz: Float32Array, x: Float32Array, rows: number, j0: number, j1: number): void {
    this.weightProduct(dz, x, rows, j0, j1, this.params[0].regularizer !== undefined);
    if (!this.config.useBias) return;
    const nOut = this.outSize;
    const gb = this.params[1].grad;
    if (!this.params[1].regularizer) gb.fill(0, j0, j1);
    // Row by row into the float32 array: the roundings of biasActivationBackward's sums.
    for (let r = 0, o = 0; r < rows; r++, o += nOut) {
      for (let j = j0; j < j1; j++) gb[j] += dz[o + j];
    }
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean, fromLogits = false): Float32Array | undefined {
    const gb = this.config.useBias ? this.params[1].grad : null;
    const dz = biasActivationBackward(this.kernels, this.outputActivation, this.zView, this.aView, dy, gb, batch, this.outSize, this.dz, fromLogits);
    // dW written whole when computeGradients did not zero it (the same sums as adding them to zeros), else added.
    const w = this.params[0];
    this.weightProduct(dz, this.x, batch, 0, this.outSize, !w.gradUnset);
    w.gradUnset = false;
    return needInputGrad ? this.inputGrad(dz, batch) : undefined;
  }

  /** dW[j0..j1, :] = (or +=, with `accumulate`) dz[rows, j0..j1]ᵀ · x[rows, in]. */
  private weightProduct(dz: Float32Array, x: Float32Array, rows: number, j0: number, j1: number, accumulate: boolean): void {
    const nIn = this.inSize;
    const nOut = this.outSize;
    const gw = this.params[0].grad;
    if (!accumulate) this.kernels.matmulRowsTN(dz, x, gw, nOut, rows, nIn, j0, j1);
    else if (this.kernels.matmulRowsTNAcc) this.kernels.matmulRowsTNAcc(dz, x, gw, nOut, rows, nIn, j0, j1);
    else {
      if (this.dwScratch.length !== gw.length) this.dwScratch = this.allocate(gw.length);
      this.kernels.matmulRowsTN(dz, x, this.dwScratch, nOut, rows, nIn, j0, j1);
      const g = gw.subarray(j0 * nIn, j1 * nIn);
      const s = this.dwScratch.subarray(j0 * nIn, j1 * nIn);
      if (this.kernels.addInto) this.kernels.addInto(g, s, g.length);
      else for (let i = 0; i < g.length; i++) g[i] += s[i];
    }
  }

  /** dx[batch, in] = dz[batch, out] · W[out, in]. */
  private inputGrad(dz: Float32Array, batch: number): Float32Array {
    const dx = this.dx.get(batch * this.inSize);
    this.kernels.matmulRows(dz, this.params[0].value, dx, batch, this.outSize, this.inSize, 0, batch);
    return dx;
  }
}
