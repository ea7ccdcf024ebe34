/**
 * What this machine gives to more threads of the very work training does, right now: the
 * same 1-thread fit run by the calling thread and by `count` worker threads at once, each
 * on its own copy of the model and data (nothing shared, no synchronisation). The threads
 * bench times it in the same pairs of turns as the data-parallel fit, so the ratio it gets
 * (n x one fit's time over the slowest of n at once) is the ceiling data-parallel training
 * can reach on the machine as it is during that run. On this project's shared 2-vCPU VMs
 * that ceiling has read anywhere from x1.35 to x1.95 from one minute to the next.
 *
 * The workers build their kernels as the calling thread did (V8 flags such as relaxed SIMD
 * are per process), and their models from the same spec, seed and random data.
 */
import { Worker } from 'node:worker_threads';

const url = (p: string): string => new URL(p, import.meta.url).href;

const PEER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { register } = await import('tsx/esm/api');
  register();
  const { Sequential } = await import(workerData.engine);
  const { randomData } = await import(workerData.data);
  const { spec, inSize, batch, steps, shuffle } = workerData;
  const n = steps * batch;
  const { x, y } = randomData(n, inSize);
  const model = Sequential.fromSpec(spec, { seed: 0 });
  model.compile({ optimizer: { type: 'adam', learningRate: 0.001 }, loss: 'sparseCategoricalCrossentropy' });
  const xs = { data: x, shape: [n, ...spec.inputShape] };
  const ys = { data: y, shape: [n] };
  parentPort.on('message', () => {
    const t = performance.now();
    // A failed fit rejects unhandled, which ends the thread with an 'error' the caller sees.
    void model.fit(xs, ys, { batchSize: batch, epochs: 1, shuffle }).then(() => parentPort.postMessage(performance.now() - t));
  });
  parentPort.postMessage('ready');
})();
`;

export interface Peers {
  /** Runs `fit` here while every peer fits once; milliseconds of the slowest of them all. */
  together(fit: () => Promise<unknown>): Promise<number>;
  close(): Promise<void>;
}

/** Starts `count` worker threads, each fitting its own copy of `spec` for `steps` steps of `batch` rows (shuffled or in order, as the fit it is compared with). */
export async function startPeers(count: number, spec: { inputShape: number[] }, inSize: number, batch: number, steps: number, shuffle: boolean): Promise<Peers> {
  const workerData = { engine: url('../src/engine/index.ts'), data: url('./random-data.ts'), spec, inSize, batch, steps, shuffle };
  const workers = Array.from({ length: count }, () => new Worker(PEER, { eval: true, workerData }));
  /** Resolves with a worker's next message; rejects if it fails or exits first. */
  const reply = (w: Worker): Promise<unknown> => new Promise((resolve, reject) => {
    const done = (): void => {
      w.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const onMessage = (m: unknown): void => {
      done();
      resolve(m);
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    const onExit = (code: number): void => {
      done();
      reject(new Error(`a peer thread exited with code ${code}`));
    };
    w.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
  const close = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.terminate()));
  };
  try {
    await Promise.all(workers.map(reply));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    together: async (fit) => {
      const done = workers.map((w) => {
        const r = reply(w) as Promise<number>;
        w.postMessage('fit');
        return r;
      });
      const t = performance.now();
      await fit();
      // The wall time here, and the peers' own times (a peer may have started a little earlier).
      const theirs = await Promise.all(done);
      return Math.max(performance.now() - t, ...theirs);
    },
    close,
  };
}
