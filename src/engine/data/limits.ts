import { DataFormatError } from './dataFormatError.ts';
import type { ReadLimits } from './types.ts';

/** Throw `limit_exceeded` when `bytes` (input read or output to allocate) is over `maxBytes`. */
export function checkBytes(limits: ReadLimits, bytes: number, what: string): void {
  if (limits.maxBytes !== undefined && bytes > limits.maxBytes) {
    throw new DataFormatError('limit_exceeded', `${what} needs ${bytes} bytes, over the limit of ${limits.maxBytes} (maxBytes)`);
  }
}

/** Throw `limit_exceeded` when `count` samples are over `maxSamples`. */
export function checkSamples(limits: ReadLimits, count: number): void {
  if (limits.maxSamples !== undefined && count > limits.maxSamples) {
    throw new DataFormatError('limit_exceeded', `${count} samples, over the limit of ${limits.maxSamples} (maxSamples)`);
  }
}
