/**
 * Runs a training task (train or gan) on this thread as the pool would, collecting the
 * messages it posts. With `stopAtStep`, the control word is flipped to `kind` (default
 * cancel) from inside the training loop, exactly at the task's `stopAtStep`-th check of it,
 * as the main thread's relay would.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { CONTROL, type TrainMessage, type TrainOutcome } from '../../src/workers/tasks/messages.ts';

export interface TaskStop {
  stopAtStep?: number;
  kind?: number;
}

export async function runTask(
  task: (control: SharedArrayBuffer, port: MessagePort) => Promise<TrainOutcome>,
  stop: TaskStop = {},
): Promise<{ outcome: TrainOutcome; messages: TrainMessage[] }> {
  const { port1, port2 } = new MessageChannel();
  const control = new SharedArrayBuffer(4);
  const messages: TrainMessage[] = [];
  port1.on('message', (m: TrainMessage) => messages.push(m));
  const realLoad = Atomics.load;
  if (stop.stopAtStep !== undefined) {
    let calls = 0;
    (Atomics as { load: typeof Atomics.load }).load = ((arr: Int32Array, i: number) => {
      calls++;
      if (calls === stop.stopAtStep) Atomics.store(arr, i, stop.kind ?? CONTROL.cancel);
      return realLoad(arr, i);
    }) as typeof Atomics.load;
  }
  try {
    const outcome = await task(control, port2);
    // Let the last messages arrive.
    await new Promise((r) => setTimeout(r, 20));
    return { outcome, messages };
  } finally {
    (Atomics as { load: typeof Atomics.load }).load = realLoad;
    port1.close();
  }
}
