/**
 * One direction of a recurrent layer on batch-major data: transposes the input to
 * time-major (reversed when the direction reads the sequence backwards), runs the cell,
 * and lays out the output as [B, T, units] (returnSequences) or [B, units] (the last
 * processed step); backward does the reverse. `reverseOutput` stores the sequence
 * reversed (the backward half of a bidirectional layer, so its outputs line up with the
 * input's timesteps); a single goBackwards layer keeps processing order, as Keras does.
 */
import { Scratch } from './baseLayer.ts';
import type { LayerEnv } from './layerEnv.ts';
import type { CellParams, RecurrentCell } from './recurrentCell.ts';
import type { RecurrentConfig } from './recurrentFields.ts';
import { GruCell } from './gruCell.ts';
import { LstmCell } from './lstmCell.ts';
import { RnnCell } from './rnnCell.ts';
import { fromTimeMajor, toTimeMajor } from './timeMajor.ts';
import type { LayerParameter } from './types.ts';

export function createCell(cfg: RecurrentConfig, features: number, env: LayerEnv): RecurrentCell {
  const o = { units: cfg.units, features, activation: cfg.activation, recurrentActivation: cfg.recurrentActivation ?? 'sigmoid', env };
  switch (cfg.type) {
    case 'simpleRNN': return new RnnCell(o);
    case 'lstm': return new LstmCell(o);
    case 'gru': return new GruCell(o);
  }
}

/** Parameters in paramDecls order (weight_ih, weight_hh[, bias_ih, bias_hh]) → the cell's. */
export function cellParams(params: readonly LayerParameter[], offset: number, useBias: boolean): CellParams {
  return useBias
    ? { wih: params[offset], whh: params[offset + 1], bih: params[offset + 2], bhh: params[offset + 3] }
    : { wih: params[offset], whh: params[offset + 1] };
}

export class RecurrentDirection {
  private readonly cell: RecurrentCell;
  private readonly xT: Scratch;
  private readonly out: Scratch;
  private readonly dhSeq: Scratch;
  private T = 0;
  private B = 0;

  constructor(
    private readonly cfg: RecurrentConfig,
    private readonly features: number,
    env: LayerEnv,
    /** Read the input from the last timestep to the first. */
    private readonly reverseInput: boolean,
    private readonly reverseOutput: boolean,
  ) {
    this.cell = createCell(cfg, features, env);
    [this.xT, this.out, this.dhSeq] = [new Scratch(env), new Scratch(env), new Scratch(env)];
  }

  bind(p: CellParams): void {
    this.cell.bind(p);
  }

  forward(x: Float32Array, B: number, T: number): Float32Array {
    this.T = T;
    this.B = B;
    const F = this.features;
    const u = this.cfg.units;
    const xT = this.xT.get(T * B * F);
    toTimeMajor(x, xT, B, T, F, this.reverseInput);
    const h = this.cell.forward(xT, T, B);
    if (!this.cfg.returnSequences) return h.subarray(T * B * u, (T + 1) * B * u);
    const out = this.out.get(B * T * u);
    fromTimeMajor(h, out, B, T, u, this.reverseOutput, false, B);
    return out;
  }

  /** dy in the layout forward returned. Adds dL/dx into `dx` ([B, T, F]) when given. */
  backward(dy: Float32Array, dx: Float32Array | undefined): void {
    const { T, B } = this;
    const u = this.cfg.units;
    const dhSeq = this.dhSeq.get(T * B * u);
    if (this.cfg.returnSequences) toTimeMajor(dy, dhSeq, B, T, u, this.reverseOutput);
    else {
      dhSeq.fill(0, 0, (T - 1) * B * u);
      dhSeq.set(dy.subarray(0, B * u), (T - 1) * B * u);
    }
    const dxT = this.cell.backward(dhSeq, dx !== undefined);
    if (dx && dxT) fromTimeMajor(dxT, dx, B, T, this.features, this.reverseInput, true);
  }
}
