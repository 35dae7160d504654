import { ACCOUNT_ALIAS } from '../access/accounts.js';
import { parseDuration } from '../access/duration.js';
import { isDay } from '../access/history.js';
import { nearestTask, normalizeTasks, TASKS, type Task } from '../access/tasks.js';
import { isMetaId } from '../graph/ids.js';
import type { Command, SlackPersonRef, UserRef } from './commands.js';
import { MAX_FILTER_LENGTH, USAGE } from './commands.js';
import { code, type Mrkdwn, mrkdwn, plain } from './format.js';

/** `/waba …` text into a Command: pure and cheap, so listeners can answer mistakes in their ack. */

const REASON_MARKERS = new Set(['because', 'reason:', '--']);

export function parseCommand(text: string): Command {
  // An escaped mention carries a display name that may hold spaces: keep only the id.
  const trimmed = text.replace(/<@([UW][A-Z0-9]+)\|[^>]*>/g, '<@$1>').trim();
  if (trimmed === '') return { kind: 'compose' };
  const [verbToken = '', ...words] = trimmed.split(/\s+/);
  const verb = verbToken.toLowerCase();
  if (!ON_ACCOUNT.has(verb)) return parseVerb(verb, verbToken, words);
  const picked = takeAccount(
    words,
    USAGE[
      verb === 'roster'
        ? 'list'
        : (verb as 'grant' | 'revoke' | 'list' | 'active' | 'review' | 'history' | 'who' | 'audit')
    ],
  );
  if ('problem' in picked) return picked;
  const command = parseVerb(verb, verbToken, picked.words) as OnAccount | Extract<Command, { kind: 'invalid' }>;
  return picked.account && command.kind !== 'invalid' ? { ...command, account: picked.account } : command;
}

type OnAccount = Extract<
  Command,
  { kind: 'grant' | 'revoke' | 'list' | 'active' | 'review' | 'history' | 'who' | 'audit' }
>;
/** Commands that act on one account, chosen with `on <alias>`. */
const ON_ACCOUNT = new Set(['grant', 'revoke', 'list', 'roster', 'active', 'review', 'history', 'who', 'audit']);

/** Takes `on <alias>` out of a command's words, looking only before the reason (which may say "on"). */
function takeAccount(
  words: string[],
  usage: string,
): { words: string[]; account?: string } | Extract<Command, { kind: 'invalid' }> {
  const reasonAt = words.findIndex(isReasonStart);
  const end = reasonAt < 0 ? words.length : reasonAt;
  const index = words.slice(0, end).findIndex((word) => word.toLowerCase() === 'on');
  if (index < 0) return { words };
  const alias = index + 1 < end ? words[index + 1]!.toLowerCase() : undefined;
  if (alias === undefined)
    return invalid(mrkdwn`\`on\` needs an account after it.`, mrkdwn`${usage} — \`/waba accounts\` lists them.`);
  if (!ACCOUNT_ALIAS.test(alias))
    return invalid(mrkdwn`${code(clip(alias))} is not an account name.`, mrkdwn`\`/waba accounts\` lists them.`);
  const rest = [...words.slice(0, index), ...words.slice(index + 2)];
  if (rest.slice(0, end - 2).some((word) => word.toLowerCase() === 'on'))
    return invalid(mrkdwn`Say \`on …\` only once.`, plain(usage));
  return { words: rest, account: alias };
}

function parseVerb(verb: string, verbToken: string, rest: string[]): Command {
  switch (verb) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'list':
    case 'roster':
      return parseList(rest);
    case 'accounts':
      return parseAccounts(rest);
    case 'status':
      // The accounts list carries each account's budget: what people look for under "status".
      return rest.length === 0
        ? { kind: 'account-list' }
        : invalid(mrkdwn`\`status\` takes no arguments.`, plain(USAGE.status));
    case 'active':
      return rest.length === 0
        ? { kind: 'active' }
        : invalid(mrkdwn`\`active\` takes no arguments.`, plain(USAGE.active));
    case 'review':
      return rest.length === 0
        ? { kind: 'review' }
        : invalid(mrkdwn`\`review\` takes only an account, as \`on <account>\`.`, plain(USAGE.review));
    case 'requests':
    case 'pending':
      return rest.length === 0
        ? { kind: 'requests' }
        : invalid(mrkdwn`\`requests\` takes no arguments.`, plain(USAGE.requests));
    case 'history':
      return parseHistory(rest);
    case 'who':
      return parseWho(rest);
    case 'link':
      return parseLink(rest);
    case 'unlink':
      return parseUnlink(rest);
    case 'audit':
      return parseAudit(rest);
    case 'grant':
      return parseGrant(rest);
    case 'revoke':
      return parseRevoke(rest);
    default:
      return invalid(
        mrkdwn`I don't know the command ${code(clip(verbToken))}.`,
        mrkdwn`Try \`/waba help\` to see what I can do.`,
      );
  }
}

/** `list` with nothing, one task, one person, or any other text (quotes make a task name plain text). */
function parseList(args: string[]): Command {
  if (args.length === 0) return { kind: 'list' };
  const joined = args.join(' ');
  const quoted = /^["“'](.*)["”']$/.exec(joined);
  if (!quoted && args.length === 1) {
    const task = toTask(args[0]!);
    if (task) return { kind: 'list', filter: { kind: 'task', task } };
    const person = parsePerson(args[0]!);
    if (person) return { kind: 'list', filter: { kind: 'person', person } };
  }
  const text = (quoted ? quoted[1]! : joined).trim();
  if (text === '') return invalid(mrkdwn`The text to look for is empty.`, plain(USAGE.list));
  if (text.length > MAX_FILTER_LENGTH)
    return invalid(mrkdwn`The text to look for is longer than ${MAX_FILTER_LENGTH} characters.`, plain(USAGE.list));
  return { kind: 'list', filter: { kind: 'text', text } };
}

function parseAccounts(args: string[]): Command {
  if (args.length === 0) return { kind: 'account-list' };
  const user = parseUser(args[0]!, USAGE.accounts);
  if ('problem' in user) return user;
  if (args.length > 1) return invalid(mrkdwn`\`accounts\` takes one user id.`, plain(USAGE.accounts));
  return { kind: 'accounts', user };
}

function parseGrant(args: string[]): Command {
  if (args.length === 0)
    return invalid(mrkdwn`Who should get access? The user id and tasks are missing.`, plain(USAGE.grant));
  const user = parseUser(args[0]!, USAGE.grant);
  if ('problem' in user) return user;
  const { before, reason } = splitReason(args.slice(1));
  if (reason === '') return invalid(mrkdwn`The reason after \`because\` is empty.`, plain(USAGE.grant));
  const length = splitDuration(before);
  if ('problem' in length) return length;
  const split = length.words.flatMap((word) => word.split(',')).filter(Boolean);
  const emergency = split.some(isEmergency);
  const words = split.filter((word) => !isEmergency(word));
  if (words.length === 0) {
    return invalid(mrkdwn`Which tasks? Name at least one.`, mrkdwn`${USAGE.grant} — tasks: ${TASKS.join(', ')}`);
  }
  const tasks: string[] = [];
  for (const word of words) {
    const task = toTask(word);
    if (!task) return unknownTask(word);
    tasks.push(task);
  }
  return {
    kind: 'grant',
    user,
    tasks: normalizeTasks(tasks),
    ...(reason ? { reason } : {}),
    ...(length.duration === undefined ? {} : { duration: length.duration }),
    ...(emergency ? { emergency: true as const } : {}),
  };
}

/** The word that asks for break-glass; a word of its own among the tasks, never part of the reason. */
function isEmergency(word: string): boolean {
  return word.toLowerCase() === 'emergency';
}

function parseRevoke(args: string[]): Command {
  if (args.length === 0)
    return invalid(mrkdwn`Whose access should be removed? The user id is missing.`, plain(USAGE.revoke));
  const user = parseUser(args[0]!, USAGE.revoke);
  if ('problem' in user) return user;
  const { before, reason } = splitReason(args.slice(1));
  if (before.length > 0) {
    return invalid(
      mrkdwn`\`revoke\` removes the user with all their tasks, so it takes no task names.`,
      mrkdwn`${USAGE.revoke} — to keep some tasks, ask for a new grant after the revoke.`,
    );
  }
  if (reason === '') return invalid(mrkdwn`The reason after \`because\` is empty.`, plain(USAGE.revoke));
  return { kind: 'revoke', user, ...(reason ? { reason } : {}) };
}

function parseUser(token: string, usage: string): UserRef | Extract<Command, { kind: 'invalid' }> {
  if (isMetaId(token)) return { kind: 'meta', id: token };
  const person = parsePerson(token);
  if (person) return person;
  return invalid(
    mrkdwn`${code(clip(token))} is neither a person (\`@name\`) nor a Meta user id (digits).`,
    plain(usage),
  );
}

const MENTION = /^<@([UW][A-Z0-9]+)>$/;
const HANDLE = /^@([a-z0-9][a-z0-9._-]{0,79})$/i;

function parsePerson(token: string): SlackPersonRef | undefined {
  const mention = MENTION.exec(token);
  if (mention) return { kind: 'slack', slackId: mention[1]! };
  const handle = HANDLE.exec(token);
  return handle ? { kind: 'handle', name: handle[1]!.toLowerCase() } : undefined;
}

function parseHistory(args: string[]): Command {
  if (args.length === 0) return invalid(mrkdwn`Whose history? Name a person or a Meta user id.`, plain(USAGE.history));
  const user = parseUser(args[0]!, USAGE.history);
  if ('problem' in user) return user;
  if (args.length > 1) return invalid(mrkdwn`\`history\` takes one person.`, plain(USAGE.history));
  return { kind: 'history', user };
}

const DAYS_AGO: Record<string, number> = { today: 0, yesterday: 1 };

/** `who` and one day: a date `YYYY-MM-DD`, `today` or `yesterday`. */
function parseWho(args: string[]): Command {
  if (args.length === 0)
    return invalid(mrkdwn`Which day? Give a date like \`2026-11-01\`, or \`yesterday\`.`, plain(USAGE.who));
  if (args.length > 1) return invalid(mrkdwn`\`who\` takes one day.`, plain(USAGE.who));
  const word = args[0]!.toLowerCase();
  if (Object.hasOwn(DAYS_AGO, word)) return { kind: 'who', date: { kind: 'days-ago', days: DAYS_AGO[word]! } };
  if (isDay(word)) return { kind: 'who', date: { kind: 'date', day: word } };
  return invalid(
    /^\d{4}-\d{2}-\d{2}$/.test(word)
      ? mrkdwn`${code(clip(args[0]!))} is not a day of the calendar.`
      : mrkdwn`${code(clip(args[0]!))} is not a date I understand.`,
    mrkdwn`Write the day as year-month-day, e.g. \`/waba who 2026-11-01\`, or \`today\` / \`yesterday\`.`,
  );
}

function parseLink(args: string[]): Command {
  const [who, id, ...extra] = args;
  const person = who === undefined ? undefined : parsePerson(who);
  if (!person) return invalid(mrkdwn`Whom should I link? Mention the person first.`, plain(USAGE.link));
  if (id === undefined || !isMetaId(id)) {
    return invalid(mrkdwn`After the person, give their Meta business-user id (digits).`, plain(USAGE.link));
  }
  if (extra.length > 0) return invalid(mrkdwn`\`link\` takes a person and one Meta user id.`, plain(USAGE.link));
  return { kind: 'link', person, metaUserId: id };
}

function parseUnlink(args: string[]): Command {
  const person = args.length === 1 ? parsePerson(args[0]!) : undefined;
  return person
    ? { kind: 'unlink', person }
    : invalid(mrkdwn`Whom should I unlink? Mention one person.`, plain(USAGE.unlink));
}

/** `audit` with nothing, or `since <duration>`. */
function parseAudit(args: string[]): Command {
  if (args.length === 0) return { kind: 'audit' };
  const [marker, value, ...extra] = args;
  if (marker?.toLowerCase() !== 'since' || extra.length > 0)
    return invalid(
      mrkdwn`\`audit\` takes \`on <account>\` and \`since <duration>\`, nothing else.`,
      plain(USAGE.audit),
    );
  if (value === undefined)
    return invalid(
      mrkdwn`\`since\` needs a duration after it.`,
      mrkdwn`e.g. \`since 30d\` or \`since 12h\`. ${USAGE.audit}`,
    );
  const sinceMs = parseDuration(value);
  if (sinceMs === undefined)
    return invalid(
      mrkdwn`${code(clip(value))} is not a duration.`,
      mrkdwn`Use a number and a unit: \`since 12h\`, \`since 30d\`, \`since 2w\`.`,
    );
  return { kind: 'audit', sinceMs };
}

const PERMANENT = new Set(['permanent', 'permanently', 'ever', 'forever']);

/** Takes `for <duration>` (or `for permanent`) out of the task words. */
function splitDuration(
  words: string[],
): { words: string[]; duration?: number | 'permanent' } | Extract<Command, { kind: 'invalid' }> {
  const index = words.findIndex((word) => word.toLowerCase() === 'for');
  if (index < 0) return { words };
  const value = words[index + 1];
  const rest = [...words.slice(0, index), ...words.slice(index + 2)];
  if (value === undefined)
    return invalid(
      mrkdwn`\`for\` needs a duration after it.`,
      mrkdwn`e.g. \`for 30m\`, \`for 4h\` or \`for 2d\`. ${USAGE.grant}`,
    );
  if (PERMANENT.has(value.toLowerCase())) return { words: rest, duration: 'permanent' };
  const duration = parseDuration(value);
  if (duration === undefined) {
    return invalid(
      mrkdwn`${code(clip(value))} is not a duration.`,
      mrkdwn`Use a number and a unit: \`30m\`, \`4h\`, \`2d\` (or \`1h30m\`).`,
    );
  }
  if (rest.some((word) => word.toLowerCase() === 'for'))
    return invalid(mrkdwn`Say \`for …\` only once.`, plain(USAGE.grant));
  return { words: rest, duration };
}

/** Splits words at the first reason marker (`because`, `reason:`, `--`) or a quoted phrase. */
function splitReason(words: string[]): { before: string[]; reason?: string } {
  const index = words.findIndex(isReasonStart);
  if (index < 0) return { before: words };
  const marker = words[index]!;
  const isQuote = /^["“']/.test(marker);
  const reasonWords = isQuote ? words.slice(index) : words.slice(index + 1);
  const reason = reasonWords
    .join(' ')
    .replace(/^["“']|["”']$/g, '')
    .trim();
  return { before: words.slice(0, index), reason };
}

function isReasonStart(word: string): boolean {
  return REASON_MARKERS.has(word.toLowerCase()) || /^["“']/.test(word);
}

function toTask(word: string): Task | undefined {
  const candidate = word.toUpperCase().replace(/-/g, '_');
  return (TASKS as readonly string[]).includes(candidate) ? (candidate as Task) : undefined;
}

function unknownTask(word: string): Command {
  const nearest = nearestTask(word);
  return invalid(
    mrkdwn`${code(clip(word))} is not a task I know.${nearest ? mrkdwn` Did you mean ${code(nearest)}?` : ''}`,
    mrkdwn`Valid tasks: ${TASKS.join(', ')}. To add a reason, put it after \`because\`.`,
  );
}

function invalid(problem: Mrkdwn, hint: Mrkdwn): Extract<Command, { kind: 'invalid' }> {
  return { kind: 'invalid', problem, hint };
}

/** Echoes user text back safely: short, and without backticks that would break the code span. */
function clip(text: string): string {
  const clean = text.replace(/`/g, "'");
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
