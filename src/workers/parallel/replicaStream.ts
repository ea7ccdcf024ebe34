/**
 * The seed of replica `index`'s training stream (its dropout masks). Replica 0 is the
 * model itself and keeps the model's own stream (which also shuffles); each helper gets
 * its own deterministic stream, so a fixed seed and thread count reproduce every mask.
 */
export function replicaStreamSeed(seed: number, index: number): number {
  return (seed ^ Math.imul(index, 0x9e3779b1) ^ 0x7f4a7c15) >>> 0;
}
