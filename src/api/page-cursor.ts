/**
 * Opaque cursors for newest-first lists ordered by (createdAt, id): the
 * base64url of `<ISO time>|<uuid>`. A cursor the API did not make is a 400.
 */
import { AppError } from '../shared/errors.ts';

export interface PagePosition {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(p: PagePosition): string {
  return Buffer.from(`${p.createdAt.toISOString()}|${p.id}`).toString('base64url');
}

/** `field` names the query parameter in the error message. */
export function decodeCursor(cursor: string, field = 'after'): PagePosition {
  const [iso, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (rest.length > 0 || !id || !UUID.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new AppError('validation_failed', `${field} is not a cursor this API returned (use the "next" of the previous page)`);
  }
  return { createdAt, id };
}
