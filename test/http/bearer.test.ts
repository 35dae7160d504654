import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../../src/http/bearer.js';

describe('bearerMatches', () => {
  const token = 'a-metrics-token-0123456789';

  it('accepts the token as a bearer, whatever the scheme’s case', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
  });

  it('refuses anything else: missing, another scheme, a prefix, a longer token, the token alone, repeated headers', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      token,
      `Basic ${token}`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}0`,
      `Bearer ${token} extra`,
      `Bearer  ${token.toUpperCase()}`,
      [`Bearer ${token}`, `Bearer ${token}`],
    ]) {
      expect(bearerMatches(header, token), String(header)).toBe(false);
    }
  });
});
