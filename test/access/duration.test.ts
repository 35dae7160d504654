import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/access/duration.js';

describe('parseDuration', () => {
  it.each([
    ['30m', 1_800_000],
    ['4h', 14_400_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['1s', 1_000],
    ['1W', 604_800_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'h', '0m', 'forever', '1x', '-1h'])('rejects "%s"', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('keeps the two largest units', () => {
    expect(formatDuration(90_061_000)).toBe('1d 1h');
    expect(formatDuration(1_800_000)).toBe('30m');
    expect(formatDuration(0)).toBe('0s');
  });
});
