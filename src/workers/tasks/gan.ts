/**
 * The GAN training task, run in a Piscina worker thread with the same contract
 * as `train`: parse the data set (its samples; labels are ignored), map the
 * samples' value range onto the generator's, build (or resume) the GanTrainer,
 * fit, and report steps (`d_loss`, `g_loss`), epochs (the epoch means of
 * `d_loss`, `g_loss`, `d_acc_real`, `d_acc_fake`) and checkpoints (both
 * networks, plus a PNG of the sample grid from the fixed noise) through the
 * MessagePort. The control word is checked after every step; on cancel or
 * shutdown it checkpoints first.
 */
import type { TransferListItem } from 'node:worker_threads';
import {
  GanTrainer,
  readDataset,
  type DatasetFormat,
  type GanLogs,
} from '../../engine/index.ts';
import { autoDataRange, gridLayout, isImageShape } from '../../shared/gan-config.ts';
import { encodePng } from '../../shared/png.ts';
import type { GanTaskInput, TrainMessage, TrainOutcome } from './messages.ts';
import { StepPoints, failedOutcome, requestedStop, type StopKind } from './step-points.ts';
import { CheckpointCadence, EpochCheckpoints, type EpochCheckpoint } from './epoch-checkpoints.ts';
import { bestRule } from '../../db/repos/checkpoint-choice.ts';

/** Maps `x` in place from `from` = [lo, hi] onto `to`. */
function rescale(x: Float32Array, from: readonly [number, number], to: readonly [number, number]): void {
  const scale = (to[1] - to[0]) / (from[1] - from[0]);
  for (let i = 0; i < x.length; i++) x[i] = to[0] + (x[i] - from[0]) * scale;
}

function minMax(x: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The grid of the fixed noise's samples as a PNG, or null when the samples are not images. */
export function samplePng(trainer: GanTrainer): Uint8Array | null {
  if (!isImageShape(trainer.sampleShape)) return null;
  const { rows, cols } = gridLayout(trainer.fixedNoise.length / trainer.latentDim);
  const grid = trainer.sampleGrid(null, rows, cols);
  return encodePng({ width: grid.width, height: grid.height, channels: grid.channels as 1 | 3 | 4, data: grid.data });
}

export async function gan(input: GanTaskInput): Promise<TrainOutcome> {
  const control = new Int32Array(input.control);
  const post = (m: TrainMessage, transfer: TransferListItem[] = []) => input.port.postMessage(m, transfer);
  const t = input.training;
  let lastEpoch = 0;
  let lastStep = 0;
  let epochCheckpoints: EpochCheckpoints | undefined;
  const postCheckpoint = (c: EpochCheckpoint) => post(c, [c.bytes.buffer as ArrayBuffer, ...(c.samplePng ? [c.samplePng.buffer as ArrayBuffer] : [])]);
  try {
    const data = readDataset(input.dataset.format as DatasetFormat, input.dataset.parts, input.dataset.options);
    const trainer = new GanTrainer({
      generator: input.spec.generator,
      discriminator: input.spec.discriminator,
      generatorOptimizer: t.gan.generatorOptimizer,
      discriminatorOptimizer: t.gan.discriminatorOptimizer,
      dSteps: t.gan.dSteps,
      fixedSamples: t.gan.fixedSamples,
      seed: t.seed,
    });
    if (input.checkpoint) trainer.loadCheckpoint(input.checkpoint);
    // The data set's values onto the generator's output range (the same every attempt: it depends on the data only).
    const range = t.gan.dataRange === 'auto' ? autoDataRange(...minMax(data.x)) : t.gan.dataRange;
    rescale(data.x, range, trainer.sampleRange);
    const real = { data: data.x, shape: [data.count, ...data.sampleShape] };
    const stepsPerEpoch = Math.floor(data.count / (t.batchSize * trainer.dSteps));

    const points = new StepPoints(post);
    let stopKind: StopKind | undefined;
    let stop: { checkpoint: Uint8Array; png: Uint8Array | null } | undefined;
    let lastLogs: GanLogs = {};

    lastEpoch = trainer.progress.epoch;
    lastStep = trainer.progress.step;
    post({ type: 'begin', epochs: t.epochs, stepsPerEpoch, trainSamples: data.count, startEpoch: lastEpoch, startStep: lastStep });
    const held = new EpochCheckpoints(new CheckpointCadence(t.checkpoints.minIntervalSeconds), bestRule(t));
    epochCheckpoints = held;
    await trainer.fit(real, {
      epochs: t.epochs,
      batchSize: t.batchSize,
      callbacks: {
        onStepEnd(step, logs, info) {
          lastStep = step;
          lastEpoch = info.epoch;
          points.add({ step, epoch: info.epoch, values: { d_loss: logs.d_loss, g_loss: logs.g_loss }, time: Date.now() });
          stopKind = requestedStop(control);
          if (stopKind === undefined) return false;
          if (stopKind !== 'abandoned') stop = { checkpoint: trainer.saveCheckpoint(), png: samplePng(trainer) };
          lastLogs = logs;
          return true;
        },
        onEpochEnd(epoch, logs) {
          points.flush();
          // Stopped mid-epoch: these means cover part of an epoch; report nothing. Stopped on an
          // epoch's last step: the epoch is whole, so its means are reported (the stop checkpoint covers it).
          const whole = trainer.progress.epoch === epoch + 1;
          if (stopKind !== undefined && (!whole || stopKind === 'abandoned')) return true;
          lastLogs = logs;
          post({ type: 'epoch', epoch, step: lastStep, logs, time: Date.now() });
          if (stopKind !== undefined) return true;
          held.onEpochEnd(epoch, lastStep, logs, () => ({ bytes: trainer.saveCheckpoint(), samplePng: samplePng(trainer) })).forEach(postCheckpoint);
          return false;
        },
      },
    });
    points.flush();
    if (stopKind === 'abandoned') return { outcome: 'abandoned' };
    // A best epoch held back by the interval goes out before the stop's or the final checkpoint.
    held.flush(lastStep).forEach(postCheckpoint);
    if (stopKind) return { outcome: stopKind, epoch: lastEpoch, step: lastStep, checkpoint: stop!.checkpoint, samplePng: stop!.png, logs: lastLogs };
    return { outcome: 'completed', epoch: lastEpoch, step: lastStep, checkpoint: trainer.saveCheckpoint(), samplePng: samplePng(trainer), logs: lastLogs };
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
