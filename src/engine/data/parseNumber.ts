import type { DataFormatCode } from './types.ts';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * Strict decimal parsing for text formats. `Number()` is too lenient: it
 * reads `""` as 0, `0x10` as 16, `1e400` as Infinity and accepts `Infinity`.
 * Returns the number, or the error code and reason.
 */
export function parseNumber(text: string): number | { code: DataFormatCode; reason: string } {
  if (text === '') return { code: 'empty_cell', reason: 'empty value' };
  if (!DECIMAL.test(text)) {
    if (SPECIAL.test(text)) return { code: 'not_finite', reason: `${JSON.stringify(text)} is not a finite number` };
    return { code: 'not_numeric', reason: `${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is not a decimal number` };
  }
  const v = Number(text);
  if (!Number.isFinite(v)) return { code: 'not_finite', reason: `${JSON.stringify(text)} overflows to ${v}` };
  return v;
}
