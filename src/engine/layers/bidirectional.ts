/**
 * Bidirectional wrapper (Keras Bidirectional; PyTorch nn.LSTM / nn.GRU / nn.RNN with
 * bidirectional=True): runs `layer` (a simpleRNN, lstm or gru config) forwards and a copy
 * of it backwards over the sequence, and merges the two outputs with `mergeMode`:
 * 'concat' (default; forward units first), 'sum', 'mul' or 'ave'. With returnSequences the
 * backward outputs are reversed so both line up with the input's timesteps; without, the
 * merge is of each direction's last processed step (forward: timestep T−1; backward:
 * timestep 0). Parameters: the forward direction's `weight_ih_l0`... then the backward's
 * `weight_ih_l0_reverse`..., as PyTorch's state_dict.
 */
import { canonicalName } from '../model/canonicalName.ts';
import { checkKnownFields, enumName, fail, isRecord, type FieldContext } from '../model/fields.ts';
import { describeValue } from '../model/describe.ts';
import { BaseLayer, Scratch } from './baseLayer.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv } from './layerEnv.ts';
import type { LayerConfigBase, LayerDef } from './layerDef.ts';
import {
  RECURRENT_FIELDS, parseRecurrent, recurrentFlops, recurrentOutputShape, recurrentParamDecls,
  type RecurrentConfig, type RecurrentKind,
} from './recurrentFields.ts';
import { RecurrentDirection, cellParams } from './recurrentDirection.ts';
import type { ForwardContext } from './types.ts';

export const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const;
export type MergeMode = (typeof MERGE_MODES)[number];
const WRAPPABLE: readonly RecurrentKind[] = ['simpleRNN', 'lstm', 'gru'];

export interface BidirectionalConfig extends LayerConfigBase {
  type: 'bidirectional';
  layer: RecurrentConfig;
  mergeMode: MergeMode;
}

function camelize(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())] = v;
  return out;
}

function parseInner(v: unknown, ctx: FieldContext, name: string): RecurrentConfig {
  const sub: FieldContext = { path: `${ctx.path}.layer`, layerIndex: ctx.layerIndex };
  if (!isRecord(v)) fail(ctx, 'layer', `is required: a simpleRNN, lstm or gru layer config, got ${describeValue(v)}`);
  const raw = camelize(v);
  const kind = typeof raw.type === 'string' ? canonicalName(raw.type, WRAPPABLE) : undefined;
  if (kind === undefined) fail(sub, 'type', `must be one of ${WRAPPABLE.join(', ')}, got ${describeValue(raw.type)}`);
  checkKnownFields(raw, ['type', 'name', ...RECURRENT_FIELDS[kind]], sub, `a ${kind} layer`);
  return parseRecurrent(kind, raw, sub, typeof raw.name === 'string' ? raw.name : `${name}_${kind.toLowerCase()}`);
}

const width = (cfg: BidirectionalConfig): number => (cfg.mergeMode === 'concat' ? 2 : 1) * cfg.layer.units;

export const bidirectionalDef: LayerDef<BidirectionalConfig> = {
  type: 'bidirectional',
  fields: ['layer', 'mergeMode'],
  parse(raw, ctx, name) {
    const mergeMode = raw.mergeMode === undefined || raw.mergeMode === null
      ? 'concat'
      : enumName(raw.mergeMode, MERGE_MODES, ctx, 'mergeMode', 'merge mode', (s) => canonicalName(s, MERGE_MODES));
    return { type: 'bidirectional', name, layer: parseInner(raw.layer, ctx, name), mergeMode };
  },
  outputShape(inputShape, cfg, ctx) {
    return recurrentOutputShape(inputShape, cfg.layer, ctx, width(cfg), 'bidirectional');
  },
  paramDecls(inputShape, cfg) {
    return [...recurrentParamDecls(inputShape, cfg.layer), ...recurrentParamDecls(inputShape, cfg.layer, '_reverse')];
  },
  flops(inputShape, cfg) {
    const [t] = inputShape;
    const merged = cfg.mergeMode === 'concat' ? 0 : (cfg.layer.returnSequences ? t : 1) * cfg.layer.units;
    return 2 * recurrentFlops(inputShape, cfg.layer) + merged;
  },
  create(cfg, index, env) {
    return new Bidirectional(cfg, index, env);
  },
};

export class Bidirectional extends BaseLayer<BidirectionalConfig> {
  private fwd!: RecurrentDirection;
  private bwd!: RecurrentDirection;
  private readonly env: LayerEnv;
  private readonly out: Scratch;
  private readonly dyF: Scratch;
  private readonly dyB: Scratch;
  private readonly dx: Scratch;
  private yF: Float32Array = new Float32Array(0);
  private yB: Float32Array = new Float32Array(0);

  constructor(cfg: BidirectionalConfig, index: number, env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(bidirectionalDef, cfg, index);
    this.env = env;
    [this.out, this.dyF, this.dyB, this.dx] = [new Scratch(env), new Scratch(env), new Scratch(env), new Scratch(env)];
  }

  protected override onAttach(): void {
    const l = this.config.layer;
    const f = this.inputShape[1];
    const seq = l.returnSequences;
    this.fwd = new RecurrentDirection(l, f, this.env, l.goBackwards, false);
    this.bwd = new RecurrentDirection(l, f, this.env, !l.goBackwards, seq);
    const per = l.useBias ? 4 : 2;
    this.fwd.bind(cellParams(this.params, 0, l.useBias));
    this.bwd.bind(cellParams(this.params, per, l.useBias));
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    const T = this.inputShape[0];
    const u = this.config.layer.units;
    const yF = this.fwd.forward(x, batch, T);
    const yB = this.bwd.forward(x, batch, T);
    this.yF = yF;
    this.yB = yB;
    const rows = this.config.layer.returnSequences ? batch * T : batch;
    const n = rows * u;
    switch (this.config.mergeMode) {
      case 'concat': {
        const out = this.out.get(2 * n);
        for (let r = 0; r < rows; r++) {
          out.set(yF.subarray(r * u, (r + 1) * u), 2 * r * u);
          out.set(yB.subarray(r * u, (r + 1) * u), (2 * r + 1) * u);
        }
        return out;
      }
      case 'sum': {
        const out = this.out.get(n);
        for (let i = 0; i < n; i++) out[i] = yF[i] + yB[i];
        return out;
      }
      case 'mul': {
        const out = this.out.get(n);
        for (let i = 0; i < n; i++) out[i] = yF[i] * yB[i];
        return out;
      }
      case 'ave': {
        const out = this.out.get(n);
        for (let i = 0; i < n; i++) out[i] = 0.5 * (yF[i] + yB[i]);
        return out;
      }
    }
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    const u = this.config.layer.units;
    const rows = this.config.layer.returnSequences ? batch * this.inputShape[0] : batch;
    const n = rows * u;
    let dyF = dy;
    let dyB = dy;
    switch (this.config.mergeMode) {
      case 'concat':
        dyF = this.dyF.get(n);
        dyB = this.dyB.get(n);
        for (let r = 0; r < rows; r++) {
          dyF.set(dy.subarray(2 * r * u, (2 * r + 1) * u), r * u);
          dyB.set(dy.subarray((2 * r + 1) * u, (2 * r + 2) * u), r * u);
        }
        break;
      case 'sum':
        break;
      case 'mul':
        dyF = this.dyF.get(n);
        dyB = this.dyB.get(n);
        for (let i = 0; i < n; i++) {
          dyF[i] = dy[i] * this.yB[i];
          dyB[i] = dy[i] * this.yF[i];
        }
        break;
      case 'ave':
        dyF = this.dyF.get(n);
        for (let i = 0; i < n; i++) dyF[i] = 0.5 * dy[i];
        dyB = dyF;
        break;
    }
    const dx = needInputGrad ? this.dx.get(batch * this.inSize).fill(0) : undefined;
    this.fwd.backward(dyF, dx);
    this.bwd.backward(dyB, dx);
    return dx;
  }
}
