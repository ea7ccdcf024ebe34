/**
 * A static pass over a spec: shapes, parameter counts, memory and FLOP
 * estimates, with NO weights allocated, so the API can refuse a spec that is
 * too big before the job is queued.
 *
 * Memory model (float32, 4 bytes a value):
 *   params + grads + optimizer slots (slots per parameter: sgd 0, or 1 with
 *   momentum; adam/adamw 2 (3 with amsgrad); rmsprop 1, +1 centered, +1 momentum;
 *   adagrad 1) + non-trainable buffers, plus activations: the output of every
 *   layer that allocates one (dense keeps its pre-activation too), per sample;
 *   training keeps about as much again for the backward pass.
 * FLOPs: forward per sample, summed from each layer's count (a dense layer is
 *   2·in·out + bias + activation); training ≈ 3× forward (backward is two matmuls).
 */
import { normalizeOptimizerConfig } from '../optim/createOptimizer.ts';
import { LAYER_DEFS, type LayerConfig } from '../layers/registry.ts';
import { sizeOfShape } from '../layers/baseLayer.ts';
import { validateSpec } from './validateSpec.ts';

export const BYTES_PER_VALUE = 4;

export interface LayerSummary {
  index: number;
  name: string;
  type: string;
  outputShape: number[];
  params: number;
  /** Forward FLOPs per sample. */
  flops: number;
}

export interface SpecSummary {
  inputShape: number[];
  layers: LayerSummary[];
  outputShape: number[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  flops: { forwardPerSample: number; trainingPerSample: number };
  memory: {
    batchSize: number;
    optimizerSlotsPerParam: number;
    paramBytes: number;
    gradBytes: number;
    optimizerBytes: number;
    bufferBytes: number;
    activationBytesPerSample: number;
    /** Forward activations and their gradients for one batch. */
    activationBytesPerBatch: number;
    /** Everything training needs at `batchSize`. */
    totalTrainingBytes: number;
    /** Weights + one forward batch (predict). */
    totalInferenceBytes: number;
  };
}

export interface SummarizeOptions {
  batchSize?: number;
  /** Optimizer config (`"adam"` or `{ type: "sgd", momentum: 0.9 }`) to count its slots; default adam. */
  optimizer?: unknown;
  /** Slot buffers per parameter, overriding what `optimizer` implies. */
  optimizerSlots?: number;
}

export function optimizerSlotsPerParam(optimizer: unknown): number {
  const c = normalizeOptimizerConfig(optimizer ?? 'adam');
  switch (c.type) {
    case 'sgd': return ((c.momentum as number | undefined) ?? 0) > 0 ? 1 : 0;
    case 'adam':
    case 'adamw': return c.amsgrad === true ? 3 : 2;
    case 'rmsprop': return 1 + (c.centered === true ? 1 : 0) + (((c.momentum as number | undefined) ?? 0) > 0 ? 1 : 0);
    case 'adagrad': return 1;
  }
}

/**
 * Floats per sample a layer keeps from its forward pass for its backward pass: its output,
 * plus the pre-activation when a dense or convolution layer has a non-linear activation, and
 * for recurrent layers the states of every timestep (gates, cell and hidden state), which
 * backpropagation through time needs.
 */
function trainingActivationFloats(layer: LayerConfig, inShape: readonly number[], outShape: readonly number[]): number {
  const cfg = layer as unknown as { type: string; activation?: unknown; units?: unknown; layer?: unknown };
  const outSize = sizeOfShape(outShape);
  switch (cfg.type) {
    case 'flatten':
    case 'reshape':
      return 0;
    case 'dense':
    case 'conv1d':
    case 'conv2d':
    case 'conv2dTranspose':
      return cfg.activation === 'linear' ? outSize : 2 * outSize;
    case 'lstm':
    case 'gru':
    case 'simpleRNN':
      return recurrentStateFloats(cfg, inShape[0]);
    case 'bidirectional':
      return 2 * recurrentStateFloats(cfg.layer as { type: string; units?: unknown }, inShape[0]) + outSize;
    default:
      return outSize;
  }
}

/** Per timestep: lstm 4 gates + cell + tanh(cell) + hidden; gru 3 gates + candidate input + hidden; simpleRNN hidden. */
function recurrentStateFloats(cfg: { type: string; units?: unknown }, timesteps: number): number {
  const units = Number(cfg.units);
  const perStep = cfg.type === 'lstm' ? 7 : cfg.type === 'gru' ? 5 : 1;
  return timesteps * perStep * units;
}

/** Validates `spec` (throws SpecError) and summarises it without allocating weights. */
export function summarizeSpec(spec: unknown, options: SummarizeOptions = {}): SpecSummary {
  const { spec: s, shapes } = validateSpec(spec);
  const batchSize = options.batchSize ?? 32;
  const slots = options.optimizerSlots ?? optimizerSlotsPerParam(options.optimizer);
  const layers: LayerSummary[] = [];
  let trainable = 0;
  let buffers = 0;
  let activations = sizeOfShape(s.inputShape);
  let flops = 0;
  let inShape = s.inputShape;
  s.layers.forEach((cfg, i) => {
    const def = LAYER_DEFS[cfg.type];
    const outShape = shapes[i];
    let params = 0;
    for (const p of def.paramDecls(inShape, cfg)) params += sizeOfShape(p.shape);
    for (const b of def.bufferDecls?.(inShape, cfg) ?? []) buffers += sizeOfShape(b.shape);
    const f = def.flops(inShape, cfg);
    trainable += params;
    flops += f;
    activations += trainingActivationFloats(cfg, inShape, outShape);
    layers.push({ index: i, name: cfg.name, type: cfg.type, outputShape: [...outShape], params, flops: f });
    inShape = outShape;
  });
  const paramBytes = trainable * BYTES_PER_VALUE;
  const gradBytes = paramBytes;
  const optimizerBytes = paramBytes * slots;
  const bufferBytes = buffers * BYTES_PER_VALUE;
  const activationBytesPerSample = activations * BYTES_PER_VALUE;
  const activationBytesPerBatch = 2 * activationBytesPerSample * batchSize;
  return {
    inputShape: [...s.inputShape],
    layers,
    outputShape: [...shapes[shapes.length - 1]],
    totalParams: trainable + buffers,
    trainableParams: trainable,
    nonTrainableParams: buffers,
    flops: { forwardPerSample: flops, trainingPerSample: 3 * flops },
    memory: {
      batchSize,
      optimizerSlotsPerParam: slots,
      paramBytes,
      gradBytes,
      optimizerBytes,
      bufferBytes,
      activationBytesPerSample,
      activationBytesPerBatch,
      totalTrainingBytes: paramBytes + gradBytes + optimizerBytes + bufferBytes + activationBytesPerBatch,
      totalInferenceBytes: paramBytes + bufferBytes + activationBytesPerSample * batchSize,
    },
  };
}

/** A Keras-like text table of a summary. */
export function formatSummary(summary: SpecSummary): string {
  const rows = summary.layers.map((l) => [`${l.name} (${l.type})`, `(None, ${l.outputShape.join(', ')})`, String(l.params)]);
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)) + 2);
  const line = (r: string[]): string => r.map((v, c) => v.padEnd(widths[c])).join('').trimEnd();
  const rule = '='.repeat(widths.reduce((a, b) => a + b, 0));
  const mb = (b: number): string => `${(b / 1048576).toFixed(2)} MB`;
  return [
    line(head), rule, ...rows.map(line), rule,
    `Total params: ${summary.totalParams}`,
    `Trainable params: ${summary.trainableParams}`,
    `Non-trainable params: ${summary.nonTrainableParams}`,
    `Forward FLOPs/sample: ${summary.flops.forwardPerSample}; training ≈ ${summary.flops.trainingPerSample}`,
    `Training memory at batch ${summary.memory.batchSize}: ${mb(summary.memory.totalTrainingBytes)}`,
  ].join('\n');
}
