/**
 * JSON has no NaN or Infinity (JSON.stringify writes them as null, which reads
 * like "no value"). Every number this API reports that may be non-finite
 * (metric values, weights, predictions) is a JSON number when finite and one
 * of the strings "NaN", "Infinity", "-Infinity" otherwise.
 */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function toJsonNumber(v: number): JsonNumber {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** The inverse, for clients and tests. */
export function fromJsonNumber(v: JsonNumber): number {
  return typeof v === 'number' ? v : Number(v);
}
