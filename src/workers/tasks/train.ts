/**
 * The training task, run in a Piscina worker thread: parse the data set,
 * build (or resume) the model, fit, and report steps, epochs and checkpoints
 * to the job's bookkeeping on the main thread through a MessagePort. The
 * main thread asks it to stop through a shared control word, checked after
 * every step; on cancel or shutdown it checkpoints first, so nothing is lost.
 */
import {
  Sequential,
  readDataset,
  trainingCount,
  type Callback,
  type DatasetFormat,
  type Logs,
} from '../../engine/index.ts';
import type { TransferListItem } from 'node:worker_threads';
import { ParallelTrainer } from '../parallel/index.ts';
import type { TrainMessage, TrainOutcome, TrainTaskInput } from './messages.ts';
import { LossCadence, StepPoints, failedOutcome, requestedStop, type StopKind } from './step-points.ts';
import { CheckpointCadence, EpochCheckpoints, type EpochCheckpoint } from './epoch-checkpoints.ts';
import { bestRule } from '../../db/repos/checkpoint-choice.ts';

export async function train(input: TrainTaskInput): Promise<TrainOutcome> {
  const control = new Int32Array(input.control);
  const post = (m: TrainMessage, transfer: TransferListItem[] = []) => input.port.postMessage(m, transfer);
  const t = input.training;
  let lastEpoch = 0;
  let lastStep = 0;
  /** Made when training begins (the interval counts from there). */
  let epochCheckpoints: EpochCheckpoints | undefined;
  const postCheckpoint = (c: EpochCheckpoint) => post(c, [c.bytes.buffer as ArrayBuffer]);
  try {
    const data = readDataset(input.dataset.format as DatasetFormat, input.dataset.parts, input.dataset.options);
    const compile = { optimizer: t.optimizer, loss: t.loss, metrics: t.metrics };
    const model = input.checkpoint
      ? Sequential.resume(input.checkpoint, compile)
      : Sequential.fromSpec(input.spec, { seed: t.seed });
    if (!input.checkpoint) model.compile(compile);

    const x = { data: data.x, shape: [data.count, ...data.sampleShape] };
    const y = { data: data.y instanceof Int32Array ? Float32Array.from(data.y) : data.y, shape: [data.count, ...data.labelShape] };
    // fit's own split, so the step count (and the epoch's last step) is fit's.
    const trainSamples = trainingCount(data.count, t.validationSplit);
    const stepsPerEpoch = Math.ceil(trainSamples / t.batchSize);

    const points = new StepPoints(post);
    const cadence = new LossCadence(stepsPerEpoch, t.lossEverySteps);
    let stopKind: StopKind | undefined;
    /** Taken at the batch where a stop was asked for, before fit's end-of-epoch work. */
    let stopCheckpoint: Uint8Array | undefined;
    let lastLogs: Logs = {};
    let begun = false;

    const reporter: Callback = {
      onEpochBegin(epoch) {
        if (!begun) {
          begun = true;
          post({ type: 'begin', epochs: t.epochs, stepsPerEpoch, trainSamples, startEpoch: epoch, startStep: lastStep });
          epochCheckpoints = new EpochCheckpoints(
            new CheckpointCadence(t.checkpoints.minIntervalSeconds),
            bestRule(t),
          );
        }
        lastEpoch = epoch;
      },
      onBatchEnd(batch, logs, info) {
        lastStep = info.step;
        lastEpoch = info.epoch;
        stopKind = requestedStop(control);
        const now = Date.now();
        if (cadence.due(batch, stopKind !== undefined, now)) points.add({ step: info.step, epoch: info.epoch, values: { loss: logs.loss }, time: now });
        if (stopKind === undefined) return false;
        if (stopKind !== 'abandoned') stopCheckpoint = model.saveCheckpoint();
        lastLogs = logs;
        return true;
      },
      onEpochEnd(epoch, logs) {
        points.flush();
        // A stop asked for mid-epoch: these logs cover part of an epoch; report nothing.
        if (stopKind !== undefined) return true;
        lastLogs = logs;
        post({ type: 'epoch', epoch, step: lastStep, logs, time: Date.now() });
        epochCheckpoints?.onEpochEnd(epoch, lastStep, logs, () => ({ bytes: model.saveCheckpoint() })).forEach(postCheckpoint);
        return false;
      },
    };

    // threads > 1: the batch gradients and the update are split over helper threads (src/workers/parallel).
    const parallel = (t.threads ?? 1) > 1
      ? await ParallelTrainer.create(model, { threads: t.threads ?? 1, batchSize: t.batchSize, ...(t.exactAcrossThreads ? { protocol: 'deferred' } : {}) })
      : null;
    let history;
    try {
      history = await model.fit(x, y, {
        epochs: t.epochs,
        batchSize: t.batchSize,
        shuffle: t.shuffle,
        validationSplit: t.validationSplit,
        ...(t.classWeight ? { classWeight: t.classWeight } : {}),
        ...(t.earlyStopping ? { earlyStopping: t.earlyStopping } : {}),
        ...(t.augment ? { augment: t.augment } : {}),
        ...(parallel ? { gradients: parallel } : {}),
        callbacks: [reporter],
      });
    } finally {
      await parallel?.close();
    }
    points.flush();
    if (stopKind === 'abandoned') return { outcome: 'abandoned' };
    // A best epoch held back by the interval goes out before the stop's or the final checkpoint.
    // The final one stands for the last epoch unless early stopping put older weights back.
    epochCheckpoints?.flush(t.earlyStopping?.restoreBestWeights ? undefined : lastStep).forEach(postCheckpoint);
    if (stopKind) return { outcome: stopKind, epoch: lastEpoch, step: lastStep, checkpoint: stopCheckpoint!, logs: lastLogs };
    const checkpoint = model.saveCheckpoint();
    return {
      outcome: history.stopReason === 'earlyStopping' ? 'earlyStopping' : 'completed',
      epoch: lastEpoch,
      step: lastStep,
      checkpoint,
      logs: lastLogs,
    };
  } catch (e) {
    // A failed run (a non-finite loss, most often) keeps the best epoch it had reached.
    epochCheckpoints?.flush().forEach(postCheckpoint);
    const failed = failedOutcome(e, lastEpoch, lastStep);
    if (failed) return failed;
    throw e;
  } finally {
    post({ type: 'end' });
    input.port.close();
  }
}
