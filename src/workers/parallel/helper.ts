/**
 * The body of a helper thread: builds a replica of the model on the shared weights (with
 * its own gradients), then loops: wait for a step, compute the gradient of its slice of the
 * shared batch, report done. No message and no allocation per step.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Rng, Sequential } from '../../engine/index.ts';
import { BATCH, CMD, DONE, END, ERROR, ERROR_BYTES, ERROR_LEN, EXIT, GEN, OK, START, STATUS, WEIGHTS, helperBase, waitChange } from './controlBlock.ts';
import type { HelperInit, HelperMessage } from './messages.ts';
import { replicaStreamSeed } from './replicaStream.ts';

const d = workerData as HelperInit;
const post = (m: HelperMessage): void => parentPort?.postMessage(m);

let replica: Sequential;
try {
  replica = Sequential.fromSpec(d.spec, { seed: d.seed, storage: { values: d.values, bufferValues: d.bufferValues, grads: d.grads } });
  replica.compile({ optimizer: 'sgd', loss: d.loss });
  replica.trainRng.setState(new Rng(replicaStreamSeed(d.seed, d.index)).getState());
} catch (e) {
  post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}

const ctrl = new Int32Array(d.control);
const losses = new Float64Array(d.losses);
const errorBytes = new Uint8Array(d.errors, d.index * ERROR_BYTES, ERROR_BYTES);
const base = helperBase(d.index);
const encoder = new TextEncoder();
const slice = { batch: 0, regularize: false };
let seen = Atomics.load(ctrl, GEN);
let steps = 0;
post({ type: 'ready' });

for (;;) {
  waitChange(ctrl, GEN, seen);
  seen = Atomics.load(ctrl, GEN);
  if (Atomics.load(ctrl, CMD) === EXIT) break;
  const start = Atomics.load(ctrl, base + START);
  const end = Atomics.load(ctrl, base + END);
  try {
    steps++;
    if (d.failAtStep === steps) throw new Error(`helper ${d.index}: injected failure at step ${steps}`);
    const n = end - start;
    slice.batch = Atomics.load(ctrl, BATCH);
    const w = Atomics.load(ctrl, WEIGHTS) === 1 ? d.w.subarray(start, end) : null;
    losses[d.index] = replica.computeGradients(
      d.x.subarray(start * d.xSize, end * d.xSize), d.y.subarray(start * d.ySize, end * d.ySize), n, w, true, slice,
    );
    d.out.set(replica.lastOutput.subarray(0, n * d.outSize), start * d.outSize);
    Atomics.store(ctrl, base + STATUS, OK);
  } catch (e) {
    const { written } = encoder.encodeInto(e instanceof Error ? `${e.name}: ${e.message}` : String(e), errorBytes);
    Atomics.store(ctrl, base + ERROR_LEN, written);
    Atomics.store(ctrl, base + STATUS, ERROR);
  }
  Atomics.store(ctrl, base + DONE, seen);
  Atomics.notify(ctrl, base + DONE);
}
