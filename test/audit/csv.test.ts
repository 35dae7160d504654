import { describe, expect, it } from 'vitest';
import { csvField, csvRow } from '../../src/audit/csv.js';
import { parseSince } from '../../src/audit/export.js';

describe('CSV fields', () => {
  it('quotes fields with commas, quotes or line breaks, doubling the quotes', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(42)).toBe('42');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    for (const start of ['=', '+', '-', '@', '\t']) expect(csvField(`${start}1+1`)).toBe(`'${start}1+1`);
    expect(csvField('\r1+1')).toBe(`"'\r1+1"`);
    expect(csvField('=SUM(A1:A9),x')).toBe(`"'=SUM(A1:A9),x"`);
    expect(csvField('a=b')).toBe('a=b');
  });

  it('ends rows with CRLF', () => {
    expect(csvRow(['a', 1, undefined, 'b,c'])).toBe('a,1,,"b,c"\r\n');
  });
});

describe('--since', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('takes a duration before now, or a date or moment', () => {
    expect(parseSince('30d', now)).toBe(now - 30 * 86_400_000);
    expect(parseSince('1h30m', now)).toBe(now - 90 * 60_000);
    expect(parseSince('2026-02-01', now)).toBe(Date.parse('2026-02-01T00:00:00Z'));
    expect(parseSince('2026-02-01T10:00:00Z', now)).toBe(Date.parse('2026-02-01T10:00:00Z'));
  });

  it('refuses anything else', () => {
    for (const text of ['yesterday', '30', '2026-13-45', '-5d', ''])
      expect(parseSince(text, now), text).toBeUndefined();
  });
});
