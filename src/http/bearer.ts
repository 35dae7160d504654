import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Both sides are hashed before the constant-time compare,
 * so neither the token's content nor its length shows in how long the answer takes.
 */
export function bearerMatches(header: string | string[] | undefined, token: string): boolean {
  const value = Array.isArray(header) ? undefined : header;
  const match = value === undefined ? null : /^Bearer +(\S+) *$/i.exec(value);
  const presented = match?.[1] ?? '';
  const same = timingSafeEqual(digest(presented), digest(token));
  return match !== null && same;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
