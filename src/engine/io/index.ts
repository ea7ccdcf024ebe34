export { encodeSafetensors, decodeSafetensors, safetensorsHeader, safetensorsHeaderLength, SAFETENSORS_MAX_HEADER } from './safetensors.ts';
export type { SafetensorsDtype, SafetensorsData, SafetensorsTensor, SafetensorsHeader, SafetensorsHeaderEntry } from './safetensors.ts';
export { SafetensorsError } from './safetensorsError.ts';
