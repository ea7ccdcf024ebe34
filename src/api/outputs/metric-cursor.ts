/**
 * The metrics cursor: opaque to clients, it is the id of the last metric row
 * returned (rows of one job are written by one lease holder at a time, so ids
 * only grow and a new point always lands after any cursor already handed out).
 */
const PREFIX = 'm';

export function encodeMetricCursor(id: bigint): string {
  return Buffer.from(`${PREFIX}${id.toString()}`).toString('base64url');
}

/** The row id the cursor stands for, or null when the string is not a cursor from this API. */
export function decodeMetricCursor(cursor: string): bigint | null {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^m(0|[1-9][0-9]{0,18})$/.exec(text);
  return m ? BigInt(m[1]) : null;
}
