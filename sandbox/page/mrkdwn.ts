/**
 * Slack's mrkdwn, parsed into a tree the page turns into DOM nodes (never into HTML strings, so message text can
 * not inject markup). Covers what Slack documents for messages: *bold*, _italic_, ~strike~, `code`, ```blocks```,
 * > quotes, line breaks, links, mentions of people, channels and groups, @here-style broadcasts and <!date>.
 * https://api.slack.com/reference/surfaces/formatting
 */

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'bold' | 'italic' | 'strike'; children: Inline[] }
  | { kind: 'code'; text: string }
  | { kind: 'link'; url: string; label: string }
  | { kind: 'user' | 'channel' | 'group'; id: string; label?: string }
  | { kind: 'broadcast'; name: string }
  | { kind: 'date'; seconds: number; format: string; fallback: string }
  | { kind: 'break' };

export type Paragraph = { kind: 'paragraph' | 'quote'; inlines: Inline[] } | { kind: 'pre'; text: string };

/** Parses `text`; plain text (`verbatim`) still gets its entities decoded and line breaks kept. */
export function parseMrkdwn(text: string): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  const parts = text.split(/```([\s\S]*?)```/);
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      paragraphs.push({ kind: 'pre', text: decode(part.replace(/^\n|\n$/g, '')) });
      return;
    }
    // The line breaks that only separate text from a code block are not lines of their own.
    const text = part.replace(index > 0 ? /^\n/ : /(?!)/, '').replace(index < parts.length - 1 ? /\n$/ : /(?!)/, '');
    if (!text) return;
    let quote: string[] = [];
    let plain: string[] = [];
    const flush = () => {
      if (plain.length) paragraphs.push({ kind: 'paragraph', inlines: linesOf(plain) });
      if (quote.length) paragraphs.push({ kind: 'quote', inlines: linesOf(quote) });
      plain = [];
      quote = [];
    };
    for (const line of text.split('\n')) {
      const quoted = /^(?:&gt;|>) ?(.*)$/.exec(line);
      if (quoted ? plain.length : quote.length) flush();
      (quoted ? quote : plain).push(quoted ? quoted[1]! : line);
    }
    flush();
  });
  return paragraphs;
}

function linesOf(lines: string[]): Inline[] {
  return lines.flatMap((line, index) => [...(index > 0 ? [{ kind: 'break' } as const] : []), ...parseInline(line)]);
}

// One alternative per construct; emphasis needs its markers at word edges, as in Slack.
const INLINE =
  /<([^<>\n]+)>|`([^`\n]+)`|(?<![\p{L}\p{N}*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\p{L}\p{N}*])|(?<![\p{L}\p{N}_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\p{L}\p{N}~])/gu;

export function parseInline(text: string): Inline[] {
  const inlines: Inline[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) inlines.push({ kind: 'text', text: decode(text.slice(last, match.index)) });
    last = match.index + match[0].length;
    const [, angle, code, bold, italic, strike] = match;
    if (angle !== undefined) inlines.push(angleToken(angle));
    else if (code !== undefined) inlines.push({ kind: 'code', text: decode(code) });
    else if (bold !== undefined) inlines.push({ kind: 'bold', children: parseInline(bold) });
    else if (italic !== undefined) inlines.push({ kind: 'italic', children: parseInline(italic) });
    else inlines.push({ kind: 'strike', children: parseInline(strike ?? '') });
  }
  if (last < text.length) inlines.push({ kind: 'text', text: decode(text.slice(last)) });
  return inlines;
}

/** The inside of `<…>`: a mention, a broadcast, a date or a link. */
function angleToken(content: string): Inline {
  const bar = content.indexOf('|');
  const target = bar >= 0 ? content.slice(0, bar) : content;
  const label = bar >= 0 ? decode(content.slice(bar + 1)) : undefined;
  if (/^@[UW][A-Z0-9]+$/.test(target)) return { kind: 'user', id: target.slice(1), label };
  if (/^#[CGD][A-Z0-9]+$/.test(target)) return { kind: 'channel', id: target.slice(1), label };
  const subteam = /^!subteam\^(S[A-Z0-9]+)$/.exec(target);
  if (subteam) return { kind: 'group', id: subteam[1]!, label: label?.replace(/^@/, '') };
  const date = /^!date\^(\d+)\^([^^]+)(?:\^.*)?$/.exec(target);
  if (date) return { kind: 'date', seconds: Number(date[1]), format: date[2]!, fallback: label ?? '' };
  if (/^!(here|channel|everyone)$/.test(target)) return { kind: 'broadcast', name: target.slice(1) };
  if (/^(https?:|mailto:)/.test(target)) return { kind: 'link', url: decode(target), label: label ?? decode(target) };
  return { kind: 'text', text: `<${decode(content)}>` };
}

/** Slack escapes only these three in message text. */
export function decode(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** `<!date>` tokens, in the reader's time zone, as Slack's client shows them. */
export function formatSlackDate(seconds: number, format: string, now = new Date()): string {
  const date = new Date(seconds * 1000);
  const on = (options: Intl.DateTimeFormatOptions) => date.toLocaleDateString('en-US', options);
  const relative = relativeDay(date, now);
  const long = on({ weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });
  const medium = on({ month: 'long', day: 'numeric', year: 'numeric' });
  const short = on({ month: 'short', day: 'numeric', year: 'numeric' });
  const tokens: Record<string, string> = {
    date_num: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    date: medium,
    date_short: short,
    date_long: long,
    date_pretty: relative ?? medium,
    date_short_pretty: relative ?? short,
    date_long_pretty: relative ?? long,
    time: date.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit' }),
    time_secs: date.toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
  };
  return format.replace(/\{(\w+)\}/g, (whole, name: string) => tokens[name] ?? whole);
}

function relativeDay(date: Date, now: Date): string | undefined {
  const midnight = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  // Rounded: a day with a daylight-saving change is 23 or 25 hours long.
  const difference = Math.round((midnight(date) - midnight(now)) / 86_400_000);
  return difference === 0 ? 'today' : difference === -1 ? 'yesterday' : difference === 1 ? 'tomorrow' : undefined;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
