/**
 * API keys: 256 random bits, shown once, stored only as a SHA-256 hash.
 * A fast hash is right here: the key is high-entropy, so there is nothing to
 * brute-force, and every request must look it up.
 */
import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'ty_';

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The part of a key that `keys list` shows so a person can tell keys apart. */
export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}
