/** What a training thread and its job's bookkeeping thread say to each other. */
import type { MessagePort } from 'node:worker_threads';
import type { ResolvedTrainingConfig } from '../../shared/training-config.ts';
import type { GanSpec, ResolvedGanTraining } from '../../shared/gan-config.ts';

/** Values of the control word (Int32Array over a SharedArrayBuffer, index 0). */
export const CONTROL = { run: 0, cancel: 1, shutdown: 2, abandon: 3 } as const;

export interface DatasetPayload {
  format: 'idx' | 'csv' | 'npy' | 'json';
  parts: Record<string, Uint8Array>;
  options: Record<string, unknown>;
}

export interface TrainTaskInput {
  jobId: string;
  spec: unknown;
  training: ResolvedTrainingConfig;
  dataset: DatasetPayload;
  /** The latest committed checkpoint, to resume from. */
  checkpoint: Uint8Array | null;
  control: SharedArrayBuffer;
  port: MessagePort;
}

/** A GAN job's task input: `spec` holds both networks, `training` the GAN options; the rest as for `train`. */
export interface GanTaskInput extends Omit<TrainTaskInput, 'spec' | 'training'> {
  spec: GanSpec;
  training: ResolvedGanTraining;
}

/** One step's per-step series: `{ loss }` for a train job, `{ d_loss, g_loss }` for a gan job. */
export interface StepPoint {
  step: number;
  epoch: number;
  values: Record<string, number>;
  time: number;
}

export type TrainMessage =
  | { type: 'begin'; epochs: number; stepsPerEpoch: number; trainSamples: number; startEpoch: number; startStep: number }
  | { type: 'steps'; points: StepPoint[] }
  | { type: 'epoch'; epoch: number; step: number; logs: Record<string, number>; time: number }
  /** `keep`: committed even when a newer checkpoint follows before its turn (a held best epoch's; see epoch-checkpoints.ts). */
  | { type: 'checkpoint'; kind: 'epoch'; epoch: number; step: number; bytes: Uint8Array; metrics: Record<string, number>; samplePng?: Uint8Array | null; keep?: true }
  /** The last message: everything before it has been posted. */
  | { type: 'end' };

/** `samplePng`: a gan job's sample grid at that checkpoint (absent when its samples are not images). */
export type TrainOutcome =
  | { outcome: 'completed' | 'earlyStopping'; epoch: number; step: number; checkpoint: Uint8Array; logs: Record<string, number>; samplePng?: Uint8Array | null }
  | { outcome: 'cancel' | 'shutdown'; epoch: number; step: number; checkpoint: Uint8Array; logs: Record<string, number>; samplePng?: Uint8Array | null }
  | { outcome: 'abandoned' }
  | { outcome: 'failed'; code: string; message: string; epoch?: number; step?: number };
