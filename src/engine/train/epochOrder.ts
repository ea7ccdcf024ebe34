/**
 * The sample order of one epoch, reproducible across a checkpoint: an epoch
 * shuffles with the training Rng and records the state it started from; a
 * run resumed mid-epoch replays that shuffle from the recorded state without
 * moving the Rng, so the rest of the epoch sees the same order.
 */
import type { Rng, RngState } from '../rng.ts';

function shuffleInto(rng: Rng, order: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) order[i] = i;
  rng.shuffle(order);
}

/** Starts an epoch: returns the Rng state to record, then shuffles `order` (when given). */
export function startEpochOrder(rng: Rng, order: Int32Array | null, n: number): RngState {
  const start = rng.getState();
  if (order) shuffleInto(rng, order, n);
  return start;
}

/** Rebuilds an interrupted epoch's order from the state it started from; the Rng is left where it was. */
export function replayEpochOrder(rng: Rng, order: Int32Array | null, n: number, startedFrom: RngState | null | undefined): void {
  if (!order) return;
  const now = rng.getState();
  if (startedFrom) rng.setState(startedFrom);
  shuffleInto(rng, order, n);
  rng.setState(now);
}
