import { SLACK_USER_ID } from './ids.js';
import { LIMITS } from './limits.js';

/**
 * Text for Slack's mrkdwn surfaces.
 *
 * Every mrkdwn text the bot sends is a `Mrkdwn` value, and there are only two ways to make one: the `mrkdwn` tag,
 * which runs every interpolated string through `escapeForeign`, and the helpers below that build the tokens the bot means
 * (mentions, channel links, dates, links). The Block Kit builders in `blocks/kit.ts` accept nothing else, so a
 * reason, a Meta name or an error message cannot reach Slack unescaped by being concatenated in by accident.
 */

const MADE_HERE: unique symbol = Symbol('mrkdwn built by the bot');

/** Slack mrkdwn the bot built itself: its own words, with every piece of foreign text in it escaped. */
export class Mrkdwn {
  /** The mrkdwn, ready for a Slack text object. */
  readonly text: string;

  constructor(text: string, key: typeof MADE_HERE) {
    if (key !== MADE_HERE) throw new TypeError('Mrkdwn is made with the mrkdwn tag or a helper of format.ts.');
    this.text = text;
  }

  get length(): number {
    return this.text.length;
  }

  /** The text, for logs. A string made from a Mrkdwn is foreign text again: the tag would escape it a second time. */
  toString(): string {
    return this.text;
  }
}

const made = (text: string) => new Mrkdwn(text, MADE_HERE);

/** Looks like a grave accent, formats nothing. */
const INERT_BACKTICK = '\u02cb';

/**
 * The one escape for text from outside the bot: what people typed, names and messages from Meta, stored ids.
 *
 * `&`, `<` and `>` become entities, as Slack requires: otherwise `<…>` is a live link with any label, a mention or a
 * broadcast (`<!channel>`). Backticks are neutralised too: one unmatched backtick, or a ```, pairs with the code
 * spans the bot puts around ids and turns what follows (mentions, dates) into literal code, breaking the bot's own
 * layout. `*`, `_` and `~` are left alone: they only style the words between them, and people use them on purpose.
 * Bare URLs stay as typed: Slack links them with the URL itself as the label, so they cannot pose as something else.
 */
function escapeForeign(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, INERT_BACKTICK);
}

/**
 * Builds mrkdwn from the bot's own words (the literal parts) and values: `Mrkdwn` values go in as they are, strings
 * are foreign text and are escaped, numbers are written out.
 */
export function mrkdwn(words: TemplateStringsArray, ...values: ReadonlyArray<Mrkdwn | string | number>): Mrkdwn {
  let text = words[0] ?? '';
  values.forEach((value, index) => {
    text += value instanceof Mrkdwn ? value.text : typeof value === 'number' ? String(value) : escapeForeign(value);
    text += words[index + 1] ?? '';
  });
  return made(text);
}

/** Foreign text on its own, escaped. */
export function plain(text: string): Mrkdwn {
  return made(escapeForeign(text));
}

/** Foreign text as inline code, e.g. an id. */
export function code(text: string): Mrkdwn {
  return made(`\`${escapeForeign(text)}\``);
}

const SLACK_GROUP = /^S[A-Z0-9]{1,40}$/;
const SLACK_CHANNEL = /^[CDG][A-Z0-9]{1,40}$/;

/** A Slack person or user group, as a mention; anything that is not a Slack id is shown as text. */
export function mention(slackId: string): Mrkdwn {
  if (slackId === 'system') return made('the bot');
  if (SLACK_USER_ID.test(slackId)) return made(`<@${slackId}>`);
  if (SLACK_GROUP.test(slackId)) return made(`<!subteam^${slackId}>`);
  return code(slackId);
}

/** A link to a channel; anything that is not a channel id is shown as text. */
export function channel(channelId: string): Mrkdwn {
  return SLACK_CHANNEL.test(channelId) ? made(`<#${channelId}>`) : code(channelId);
}

/**
 * A link with a label. `|` separates the two, so one in the address is percent-encoded and one in the label becomes
 * a broken bar.
 */
export function link(url: string, label: string): Mrkdwn {
  return made(`<${escapeForeign(url).replace(/\|/g, '%7C')}|${escapeForeign(label).replace(/\|/g, '¦')}>`);
}

/**
 * A date Slack shows in each reader's own time zone, with a UTC fallback for clients that cannot. Every time shown
 * to a person goes through here; a value that is not a date is shown as text rather than thrown on.
 */
export function slackDate(at: string | Date): Mrkdwn {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return plain(String(at));
  const seconds = Math.floor(date.getTime() / 1000);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return made(`<!date^${seconds}^{date_short_pretty} at {time}|${fallback}>`);
}

/**
 * A calendar day (`YYYY-MM-DD`, UTC) as Slack shows dates, with the day itself as the fallback. Given as noon UTC,
 * so readers in any time zone within twelve hours of UTC see the same day.
 */
export function slackDay(day: string): Mrkdwn {
  const noon = Date.parse(`${day}T12:00:00Z`);
  if (Number.isNaN(noon)) return plain(day);
  return made(`<!date^${Math.floor(noon / 1000)}^{date_long}|${escapeForeign(day)}>`);
}

/** Tasks as code, or "no access". */
export function taskList(tasks: readonly string[] | null): Mrkdwn {
  if (!tasks || tasks.length === 0) return made('_no access_');
  return join(tasks.map(code), ', ');
}

/** Joins pieces of mrkdwn with the bot's own separator. */
export function join(items: readonly Mrkdwn[], separator: string): Mrkdwn {
  return made(items.map((item) => item.text).join(separator));
}

/** A count and its noun, plural unless the count is one: `1 page`, `3 pages`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The first few of a list, joined by commas, and how many more there are. */
export function someOf(items: readonly Mrkdwn[], shown = 10): Mrkdwn {
  const more = items.length - shown;
  return mrkdwn`${join(items.slice(0, shown), ', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** The same mrkdwn without bold markers, for notification fallbacks. */
export function withoutBold(text: Mrkdwn): Mrkdwn {
  return made(text.text.replace(/\*/g, ''));
}

/** Plain text (button labels, titles, options) cut to `max` characters. */
export function clipPlain(text: string, max: number): string {
  return text.length <= max ? text : `${cutBeforeLoneSurrogate(text.slice(0, max - 1))}…`;
}

/**
 * Mrkdwn cut to `max` characters. The cut never splits an entity (a bare `&am` would be a stray `&`) or a token the
 * bot built (half a mention would be a stray `<`).
 */
export function clip(text: Mrkdwn, max: number): Mrkdwn {
  if (text.length <= max) return text;
  let cut = cutBeforeLoneSurrogate(text.text.slice(0, max - 1));
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.includes(';', amp)) cut = cut.slice(0, amp);
  const open = cut.lastIndexOf('<');
  if (open >= 0 && !cut.includes('>', open)) cut = cut.slice(0, open);
  return made(`${cut}…`);
}

function cutBeforeLoneSurrogate(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
}

/** Packs lines into as few section texts as the per-section limit allows. */
export function packLines(lines: readonly Mrkdwn[], maxChars: number = LIMITS.sectionText): Mrkdwn[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = clip(raw, maxChars).text;
    if (current && current.length + 1 + line.length > maxChars) {
      chunks.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) chunks.push(current);
  return chunks.map(made);
}
