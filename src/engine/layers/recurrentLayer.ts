/**
 * The Layer for simpleRNN, lstm and gru (one direction; the cell decides the kind).
 * Input [timesteps, features]; output [units], or [timesteps, units] with
 * returnSequences. Full backpropagation through time.
 */
import { BaseLayer, Scratch } from './baseLayer.ts';
import { DEFAULT_LAYER_ENV, type LayerEnv } from './layerEnv.ts';
import type { LayerDef } from './layerDef.ts';
import type { RecurrentConfig } from './recurrentFields.ts';
import { RecurrentDirection, cellParams } from './recurrentDirection.ts';
import type { ForwardContext } from './types.ts';

export class RecurrentLayer extends BaseLayer<RecurrentConfig> {
  private dir!: RecurrentDirection;
  private readonly dx: Scratch;
  private readonly env: LayerEnv;

  constructor(def: LayerDef<RecurrentConfig>, cfg: RecurrentConfig, index: number, env: LayerEnv = DEFAULT_LAYER_ENV) {
    super(def, cfg, index);
    this.env = env;
    this.dx = new Scratch(env);
  }

  protected override onAttach(): void {
    this.dir = new RecurrentDirection(this.config, this.inputShape[1], this.env, this.config.goBackwards, false);
    this.dir.bind(cellParams(this.params, 0, this.config.useBias));
  }

  forward(x: Float32Array, batch: number, _ctx: ForwardContext): Float32Array {
    return this.dir.forward(x, batch, this.inputShape[0]);
  }

  backward(dy: Float32Array, batch: number, needInputGrad: boolean): Float32Array | undefined {
    const dx = needInputGrad ? this.dx.get(batch * this.inSize).fill(0) : undefined;
    this.dir.backward(dy, dx);
    return dx;
  }
}
