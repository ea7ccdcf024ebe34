import { EngineError } from '../errors.ts';

/** A safetensors buffer that breaks the format, or tensors that cannot be encoded. */
export class SafetensorsError extends EngineError {
  declare readonly code: 'invalid_safetensors';
  /** The tensor concerned, when there is one. */
  readonly tensor?: string;
  constructor(message: string, tensor?: string) {
    super('invalid_safetensors', tensor === undefined ? message : `tensor ${JSON.stringify(tensor)}: ${message}`);
    if (tensor !== undefined) this.tensor = tensor;
  }
}
