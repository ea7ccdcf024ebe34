export { GanTrainer, GAN_METRICS } from './GanTrainer.ts';
export type { GanOptions, GanCallback, GanFitOptions, GanHistory, GanLogs, GanHookResult } from './GanTrainer.ts';
export { encodeGanCheckpoint, decodeGanCheckpoint, readGanCheckpointInfo, GAN_CHECKPOINT_VERSION } from './ganCheckpoint.ts';
export type { GanProgress, GanRngStates, GanCheckpointParts, DecodedGanCheckpoint } from './ganCheckpoint.ts';
export { tileSamples, generatorOutputRange } from './sampleGrid.ts';
export type { ImageGrid, SampleRange } from './sampleGrid.ts';
export { bceWithLogits, bceLogitsMean } from './ganLoss.ts';
