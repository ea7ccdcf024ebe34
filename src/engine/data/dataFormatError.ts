import { EngineError } from '../errors.ts';
import type { DataFormatCode } from './types.ts';

export interface DataFormatLocation {
  /** CSV: 1-based row, the header being row 1. JSON/NPY/IDX: 0-based sample index. */
  row?: number;
  /** CSV: the column's header name; JSON: the path inside the sample (`x[3][1]`). */
  column?: string;
  /** Byte offset in the (decompressed) input. */
  byte?: number;
}

/**
 * Input data a reader refuses: a stable `code`, a message that says where
 * and why, and the location as plain fields.
 */
export class DataFormatError extends EngineError {
  declare readonly code: DataFormatCode;
  readonly row?: number;
  readonly column?: string;
  readonly byte?: number;

  constructor(code: DataFormatCode, message: string, at: DataFormatLocation = {}) {
    const where: string[] = [];
    if (at.row !== undefined) where.push(`row ${at.row}`);
    if (at.column !== undefined) where.push(`column ${JSON.stringify(at.column)}`);
    if (at.byte !== undefined) where.push(`byte ${at.byte}`);
    super(code, where.length > 0 ? `${where.join(', ')}: ${message}` : message);
    if (at.row !== undefined) this.row = at.row;
    if (at.column !== undefined) this.column = at.column;
    if (at.byte !== undefined) this.byte = at.byte;
  }
}
