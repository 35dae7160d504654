import { parseDuration } from './duration.js';
import { normalizeTasks, TASKS, type Task } from './tasks.js';

/**
 * Who a command is about: a Meta business-user id, or a Slack person — mentioned (`<@U…>`, as Slack sends an
 * escaped mention) or named (`@alice`) — whose Meta id the directory knows.
 */
export type UserRef = { kind: 'meta'; id: string } | SlackPersonRef;
export type SlackPersonRef = { kind: 'slack'; slackId: string } | { kind: 'handle'; name: string };

/** Whom `/waba list` shows: those holding a task, one person, or those whose Meta name or id contains some text. */
export type ListFilter =
  | { kind: 'task'; task: Task }
  | { kind: 'person'; person: SlackPersonRef }
  | { kind: 'text'; text: string };

/** The longest text a list filter may be. */
export const MAX_FILTER_LENGTH = 100;

/**
 * What a `/waba …` text asks for. Parsing is pure and cheap, so listeners can answer in their ack. `account` is the
 * alias given with `on <alias>`; unset: the default account.
 */
export type Command =
  | { kind: 'compose' }
  | { kind: 'help' }
  | { kind: 'list'; account?: string; filter?: ListFilter }
  | { kind: 'accounts'; user: UserRef }
  /** `/waba accounts` alone: the configured accounts and their rules. */
  | { kind: 'account-list' }
  | {
      kind: 'grant';
      user: UserRef;
      tasks: Task[];
      reason?: string;
      duration?: number | 'permanent';
      account?: string;
    }
  | { kind: 'active'; account?: string }
  | { kind: 'requests' }
  | { kind: 'revoke'; user: UserRef; reason?: string; account?: string }
  | { kind: 'link'; person: SlackPersonRef; metaUserId: string }
  | { kind: 'unlink'; person: SlackPersonRef }
  | { kind: 'invalid'; problem: string; hint: string };

export const USAGE = {
  grant: '/waba grant <@person|meta-user-id> <TASK>[,<TASK>…] [on <account>] [for <30m|4h|2d>] [because <reason>]',
  revoke: '/waba revoke <@person|meta-user-id> [on <account>] [because <reason>]',
  list: '/waba list [<TASK>|@person|<name or id>] [on <account>]',
  accounts: '/waba accounts [<@person|meta-user-id>]',
  status: '/waba status',
  active: '/waba active [on <account>]',
  link: '/waba link <@person> <meta-user-id>',
  unlink: '/waba unlink <@person>',
  requests: '/waba requests',
  help: '/waba help',
} as const;

const REASON_MARKERS = new Set(['because', 'reason:', '--']);
const META_USER_ID = /^[0-9]{1,32}$/;

export function parseCommand(text: string): Command {
  // An escaped mention carries a display name that may hold spaces: keep only the id.
  const trimmed = text.replace(/<@([UW][A-Z0-9]+)\|[^>]*>/g, '<@$1>').trim();
  if (trimmed === '') return { kind: 'compose' };
  const [verbToken = '', ...words] = trimmed.split(/\s+/);
  const verb = verbToken.toLowerCase();
  if (!ON_ACCOUNT.has(verb)) return parseVerb(verb, verbToken, words);
  const picked = takeAccount(
    words,
    USAGE[verb === 'roster' ? 'list' : (verb as 'grant' | 'revoke' | 'list' | 'active')],
  );
  if ('problem' in picked) return picked;
  const command = parseVerb(verb, verbToken, picked.words) as OnAccount | Extract<Command, { kind: 'invalid' }>;
  return picked.account && command.kind !== 'invalid' ? { ...command, account: picked.account } : command;
}

type OnAccount = Extract<Command, { kind: 'grant' | 'revoke' | 'list' | 'active' }>;
/** Commands that act on one account, chosen with `on <alias>`. */
const ON_ACCOUNT = new Set(['grant', 'revoke', 'list', 'roster', 'active']);
const ALIAS = /^[a-z0-9][a-z0-9_-]{0,31}$/;

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
    return invalid('`on` needs an account after it.', `${usage} — \`/waba accounts\` lists them.`);
  if (!ALIAS.test(alias)) return invalid(`\`${clip(alias)}\` is not an account name.`, '`/waba accounts` lists them.');
  const rest = [...words.slice(0, index), ...words.slice(index + 2)];
  if (rest.slice(0, end - 2).some((word) => word.toLowerCase() === 'on'))
    return invalid('Say `on …` only once.', usage);
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
      return rest.length === 0 ? { kind: 'account-list' } : invalid('`status` takes no arguments.', USAGE.status);
    case 'active':
      return rest.length === 0 ? { kind: 'active' } : invalid('`active` takes no arguments.', USAGE.active);
    case 'requests':
    case 'pending':
      return rest.length === 0 ? { kind: 'requests' } : invalid('`requests` takes no arguments.', USAGE.requests);
    case 'link':
      return parseLink(rest);
    case 'unlink':
      return parseUnlink(rest);
    case 'grant':
      return parseGrant(rest);
    case 'revoke':
      return parseRevoke(rest);
    default:
      return invalid(`I don't know the command \`${clip(verbToken)}\`.`, 'Try `/waba help` to see what I can do.');
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
  if (text === '') return invalid('The text to look for is empty.', USAGE.list);
  if (text.length > MAX_FILTER_LENGTH)
    return invalid(`The text to look for is longer than ${MAX_FILTER_LENGTH} characters.`, USAGE.list);
  return { kind: 'list', filter: { kind: 'text', text } };
}

function parseAccounts(args: string[]): Command {
  if (args.length === 0) return { kind: 'account-list' };
  const user = parseUser(args[0]!, USAGE.accounts);
  if ('problem' in user) return user;
  if (args.length > 1) return invalid('`accounts` takes one user id.', USAGE.accounts);
  return { kind: 'accounts', user };
}

function parseGrant(args: string[]): Command {
  if (args.length === 0) return invalid('Who should get access? The user id and tasks are missing.', USAGE.grant);
  const user = parseUser(args[0]!, USAGE.grant);
  if ('problem' in user) return user;
  const { before, reason } = splitReason(args.slice(1));
  if (reason === '') return invalid('The reason after `because` is empty.', USAGE.grant);
  const length = splitDuration(before);
  if ('problem' in length) return length;
  const words = length.words.flatMap((word) => word.split(',')).filter(Boolean);
  if (words.length === 0) {
    return invalid('Which tasks? Name at least one.', `${USAGE.grant} — tasks: ${TASKS.join(', ')}`);
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
  };
}

function parseRevoke(args: string[]): Command {
  if (args.length === 0) return invalid('Whose access should be removed? The user id is missing.', USAGE.revoke);
  const user = parseUser(args[0]!, USAGE.revoke);
  if ('problem' in user) return user;
  const { before, reason } = splitReason(args.slice(1));
  if (before.length > 0) {
    return invalid(
      '`revoke` removes the user with all their tasks, so it takes no task names.',
      `${USAGE.revoke} — to keep some tasks, ask for a new grant after the revoke.`,
    );
  }
  if (reason === '') return invalid('The reason after `because` is empty.', USAGE.revoke);
  return { kind: 'revoke', user, ...(reason ? { reason } : {}) };
}

function parseUser(token: string, usage: string): UserRef | Extract<Command, { kind: 'invalid' }> {
  if (META_USER_ID.test(token)) return { kind: 'meta', id: token };
  const person = parsePerson(token);
  if (person) return person;
  return invalid(`\`${clip(token)}\` is neither a person (\`@name\`) nor a Meta user id (digits).`, usage);
}

const MENTION = /^<@([UW][A-Z0-9]+)>$/;
const HANDLE = /^@([a-z0-9][a-z0-9._-]{0,79})$/i;

function parsePerson(token: string): SlackPersonRef | undefined {
  const mention = MENTION.exec(token);
  if (mention) return { kind: 'slack', slackId: mention[1]! };
  const handle = HANDLE.exec(token);
  return handle ? { kind: 'handle', name: handle[1]!.toLowerCase() } : undefined;
}

function parseLink(args: string[]): Command {
  const [who, id, ...extra] = args;
  const person = who === undefined ? undefined : parsePerson(who);
  if (!person) return invalid('Whom should I link? Mention the person first.', USAGE.link);
  if (id === undefined || !META_USER_ID.test(id)) {
    return invalid('After the person, give their Meta business-user id (digits).', USAGE.link);
  }
  if (extra.length > 0) return invalid('`link` takes a person and one Meta user id.', USAGE.link);
  return { kind: 'link', person, metaUserId: id };
}

function parseUnlink(args: string[]): Command {
  const person = args.length === 1 ? parsePerson(args[0]!) : undefined;
  return person ? { kind: 'unlink', person } : invalid('Whom should I unlink? Mention one person.', USAGE.unlink);
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
    return invalid('`for` needs a duration after it.', `e.g. \`for 30m\`, \`for 4h\` or \`for 2d\`. ${USAGE.grant}`);
  if (PERMANENT.has(value.toLowerCase())) return { words: rest, duration: 'permanent' };
  const duration = parseDuration(value);
  if (duration === undefined) {
    return invalid(`\`${clip(value)}\` is not a duration.`, 'Use a number and a unit: `30m`, `4h`, `2d` (or `1h30m`).');
  }
  if (rest.some((word) => word.toLowerCase() === 'for')) return invalid('Say `for …` only once.', USAGE.grant);
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
    `\`${clip(word)}\` is not a task I know.${nearest ? ` Did you mean \`${nearest}\`?` : ''}`,
    `Valid tasks: ${TASKS.join(', ')}. To add a reason, put it after \`because\`.`,
  );
}

/** The task closest to `word` by edit distance, when it is close enough to be a typo. */
export function nearestTask(word: string): Task | undefined {
  const candidate = word.toUpperCase().replace(/-/g, '_');
  let best: { task: Task; distance: number } | undefined;
  for (const task of TASKS) {
    const distance = editDistance(candidate, task);
    if (!best || distance < best.distance) best = { task, distance };
  }
  if (!best) return undefined;
  const tolerance = Math.max(2, Math.floor(best.task.length / 3));
  return best.distance <= tolerance ? best.task : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function invalid(problem: string, hint: string): Extract<Command, { kind: 'invalid' }> {
  return { kind: 'invalid', problem, hint };
}

/** Echoes user text back safely: short, and without backticks that would break the code span. */
function clip(text: string): string {
  const clean = text.replace(/`/g, "'");
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
