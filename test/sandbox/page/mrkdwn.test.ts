import { describe, expect, it } from 'vitest';
import { formatSlackDate, parseInline, parseMrkdwn } from '../../../sandbox/page/mrkdwn.js';

describe('parseInline', () => {
  it('reads emphasis, code and strike, nested', () => {
    expect(parseInline('*bold _both_* and `a*b*c` ~gone~')).toEqual([
      {
        kind: 'bold',
        children: [
          { kind: 'text', text: 'bold ' },
          { kind: 'italic', children: [{ kind: 'text', text: 'both' }] },
        ],
      },
      { kind: 'text', text: ' and ' },
      { kind: 'code', text: 'a*b*c' },
      { kind: 'text', text: ' ' },
      { kind: 'strike', children: [{ kind: 'text', text: 'gone' }] },
    ]);
  });

  it('leaves markers inside words and around spaces alone, as Slack does', () => {
    expect(parseInline('snake_case_name and 2*3*4 and * not bold *')).toEqual([
      { kind: 'text', text: 'snake_case_name and 2*3*4 and * not bold *' },
    ]);
  });

  it('reads mentions of people, channels and groups, broadcasts and links', () => {
    expect(
      parseInline('<@U123|lena> <#C9|ops> <!subteam^S1|@approvers> <!here> <https://x.test/a?b=1&amp;c=2|docs>'),
    ).toEqual([
      { kind: 'user', id: 'U123', label: 'lena' },
      { kind: 'text', text: ' ' },
      { kind: 'channel', id: 'C9', label: 'ops' },
      { kind: 'text', text: ' ' },
      { kind: 'group', id: 'S1', label: 'approvers' },
      { kind: 'text', text: ' ' },
      { kind: 'broadcast', name: 'here' },
      { kind: 'text', text: ' ' },
      { kind: 'link', url: 'https://x.test/a?b=1&c=2', label: 'docs' },
    ]);
  });

  it('keeps a link to anything but http(s) or mailto as text, so no javascript: URL becomes a link', () => {
    expect(parseInline('<javascript:alert(1)|click>')).toEqual([{ kind: 'text', text: '<javascript:alert(1)|click>' }]);
  });

  it('decodes the three entities Slack escapes, and only those', () => {
    expect(parseInline('a &lt;b&gt; &amp;amp; &quot;')).toEqual([{ kind: 'text', text: 'a <b> &amp; &quot;' }]);
  });

  it('reads <!date> with its format and fallback', () => {
    expect(parseInline('<!date^1700000000^{date_short_pretty} at {time}|2023-11-14>')).toEqual([
      { kind: 'date', seconds: 1_700_000_000, format: '{date_short_pretty} at {time}', fallback: '2023-11-14' },
    ]);
  });
});

describe('parseMrkdwn', () => {
  it('splits code blocks, quotes and lines', () => {
    expect(parseMrkdwn('one\ntwo\n&gt; quoted\n```\nx *not bold*\n```')).toEqual([
      { kind: 'paragraph', inlines: [{ kind: 'text', text: 'one' }, { kind: 'break' }, { kind: 'text', text: 'two' }] },
      { kind: 'quote', inlines: [{ kind: 'text', text: 'quoted' }] },
      { kind: 'pre', text: 'x *not bold*' },
    ]);
  });
});

describe('formatSlackDate', () => {
  const now = new Date(2026, 10, 22, 12, 0);
  const at = (date: Date) => Math.floor(date.getTime() / 1000);

  it('says today, yesterday and tomorrow for the pretty formats', () => {
    expect(formatSlackDate(at(new Date(2026, 10, 22, 9, 5)), '{date_short_pretty} at {time}', now)).toBe(
      'today at 9:05 AM',
    );
    expect(formatSlackDate(at(new Date(2026, 10, 21, 23, 0)), '{date_pretty}', now)).toBe('yesterday');
    expect(formatSlackDate(at(new Date(2026, 10, 23, 0, 30)), '{date_long_pretty}', now)).toBe('tomorrow');
  });

  it('gives dates further away in full, and leaves unknown tokens as written', () => {
    expect(formatSlackDate(at(new Date(2026, 0, 5, 14, 0)), '{date_num} {date_short} {nope}', now)).toBe(
      '2026-01-05 Jan 5, 2026 {nope}',
    );
  });
});
