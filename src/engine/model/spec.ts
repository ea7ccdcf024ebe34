/** The model spec as clients write it (JSON, Keras-like) and as the validator normalises it. */
import type { LayerConfig } from '../layers/registry.ts';

export interface LayerSpec {
  /** Layer type: `dense`, `Dense`, `max_pooling2d`... */
  type: string;
  name?: string;
  [field: string]: unknown;
}

export interface ModelSpec {
  /** Shape of one sample, without the batch dimension. */
  inputShape: number[];
  layers: LayerSpec[];
  name?: string;
}

/** A validated spec: canonical type names, every default filled in. */
export interface NormalizedSpec {
  inputShape: number[];
  layers: LayerConfig[];
  name?: string;
}
