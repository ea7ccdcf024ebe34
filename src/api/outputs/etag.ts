/** Strong ETags and the If-None-Match test (RFC 9110 §13.1.2: weak comparison, `*` matches anything). */
export function strongEtag(sha256Hex: string): string {
  return `"${sha256Hex}"`;
}

export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === opaque);
}
