import { readFileSync } from 'node:fs';
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import {
  type AccountPolicy,
  type BreakGlassSettings,
  breakGlassPolicy,
  type GrantDurations,
  type Policy,
} from './access/accounts.js';
import { formatDuration, parseDuration } from './access/duration.js';
import type { ApprovalCounts } from './access/policy.js';
import { isTask, nearestTask, normalizeTasks, TASKS, type Task } from './access/tasks.js';
import { ConfigError } from './config-error.js';
import { META_ID } from './graph/ids.js';
import { isUserGroupId } from './slack/usergroups.js';

/**
 * The policy file (`WABA_CONFIG`): several WhatsApp Business Accounts, each with its own approvers and rules, and
 * fixed entries for who is who. Every problem is reported with the file, the line and the field.
 */

/** What accounts get where the file says nothing: the environment's settings. */
export interface PolicyDefaults {
  approvals: ApprovalCounts;
  durations: GrantDurations;
  approvalChannelId?: string;
  adminIds?: readonly string[];
  /** Break-glass for accounts whose `break_glass:` leaves something out (BREAK_GLASS_IDS, _TASKS, _MAX). */
  breakGlass?: BreakGlassSettings;
}

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;
const SLACK_USER_OR_GROUP = /^[UWS][A-Z0-9]{2,}$/;
const CHANNEL = /^[CG][A-Z0-9]{2,}$/;
const ALIAS = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A string that must match `pattern`; the message names the value. */
function matching(pattern: RegExp, what: string) {
  return z.string().superRefine((value, ctx) => {
    if (!pattern.test(value)) ctx.addIssue({ code: 'custom', message: `"${value}" is not ${what}` });
  });
}

/** Meta ids: digits. YAML reads unquoted ones as integers, kept exact (as bigints) and turned back into text. */
const metaId = z
  .union([z.string(), z.bigint()], { error: 'must be a Meta id (digits)' })
  .transform(String)
  .pipe(matching(META_ID, 'a Meta id (digits only)'));

const count = z
  .union([z.bigint(), z.number()], { error: 'must be a whole number from 1 to 10' })
  .transform(Number)
  .pipe(
    z.number().int('must be a whole number from 1 to 10').min(1, 'must be at least 1').max(10, 'must be at most 10'),
  );

/** A duration like `4h`; with `permanent`, also that word. */
function duration<P extends boolean = false>(options: { permanent?: P } = {}) {
  const like = `a duration like 30m, 4h or 2d${options.permanent ? ', or permanent' : ''}`;
  return z
    .string({ error: `must be ${like}` })
    .transform((value, ctx): number | (P extends true ? 'permanent' : never) => {
      if (options.permanent && value === 'permanent') return 'permanent' as P extends true ? 'permanent' : never;
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not ${like}` });
        return z.NEVER;
      }
      return ms;
    });
}

const task = z.string({ error: 'must be a task name' }).transform((value, ctx) => {
  const name = value.toUpperCase();
  if (isTask(name)) return name;
  const nearest = nearestTask(value);
  ctx.addIssue({
    code: 'custom',
    message: `"${value}" is not a task${nearest ? ` (did you mean ${nearest}?)` : ''}; tasks are ${TASKS.join(', ')}`,
  });
  return z.NEVER;
});

const slackPeople = z
  .array(matching(SLACK_USER_OR_GROUP, 'a Slack user id (U…/W…) or user-group id (S…)'), {
    error: 'must be a list of Slack user ids (U…/W…) and user-group ids (S…)',
  })
  .min(1, 'must list at least one person or user group');

const channels = z.array(matching(CHANNEL, 'a channel id (C…/G…)'), { error: 'must be a list of channel ids' });

const approvalsByTask = z.record(z.string(), count).transform((counts, ctx): Partial<ApprovalCounts> => {
  const byTask: Partial<Record<Task, number>> = {};
  for (const [key, value] of Object.entries(counts)) {
    if (key === 'default') continue;
    if (isTask(key)) byTask[key] = value;
    else ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is neither \`default\` nor a task` });
  }
  return { ...(counts.default === undefined ? {} : { default: counts.default }), byTask };
});

/** `approvals: 2`, or per task: `approvals: { default: 1, FULL_CONTROL: 2 }`. Each shape reports its own problems. */
const approvals = z.unknown().transform((value, ctx): Partial<ApprovalCounts> => {
  const isMap = typeof value === 'object' && value !== null && !Array.isArray(value);
  const result = isMap
    ? approvalsByTask.safeParse(value)
    : count.transform((n): Partial<ApprovalCounts> => ({ default: n, byTask: {} })).safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

const accountSchema = z.strictObject({
  waba_id: metaId,
  business_id: metaId,
  approvers: slackPeople,
  admins: slackPeople.optional(),
  approval_channel: matching(CHANNEL, 'a channel id (C…/G…)').optional(),
  tasks: z.array(task).min(1, 'must list at least one task').optional(),
  approvals: approvals.optional(),
  max_duration: duration({ permanent: true }).optional(),
  default_duration: duration().optional(),
  reason_required: z.boolean({ error: 'must be true or false' }).optional(),
  break_glass: z
    .strictObject({
      users: slackPeople.optional(),
      tasks: z.array(task).min(1, 'must list at least one task').optional(),
      max_duration: duration().optional(),
    })
    .optional(),
  requesters: z
    .strictObject({ channels: channels.optional(), users: slackPeople.optional() })
    .refine((rule) => (rule.channels?.length ?? 0) + (rule.users?.length ?? 0) > 0, {
      message: 'must list channels or users; leave `requesters` out to let anyone ask',
    })
    .optional(),
});

const fileSchema = z
  .strictObject({
    default_account: z.string().optional(),
    admins: slackPeople.optional(),
    accounts: z
      .record(z.string(), accountSchema, { error: 'must map each account alias to its settings' })
      .refine((accounts) => Object.keys(accounts).length > 0, 'must list at least one account'),
    people: z.record(z.string(), metaId, { error: 'must map Slack user ids or emails to Meta user ids' }).optional(),
  })
  .superRefine((file, ctx) => {
    const aliases = Object.keys(file.accounts);
    for (const alias of aliases) {
      if (!ALIAS.test(alias))
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', alias],
          message: `"${alias}" is not an alias: use lowercase letters, digits, - and _ (at most 32)`,
        });
    }
    if (file.default_account === undefined && aliases.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['default_account'],
        message: `is needed with several accounts: name the one commands without \`on\` use (${aliases.join(', ')})`,
      });
    if (file.default_account !== undefined && !aliases.includes(file.default_account))
      ctx.addIssue({
        code: 'custom',
        path: ['default_account'],
        message: `"${file.default_account}" is not one of the accounts (${aliases.join(', ')})`,
      });
    for (const [alias, account] of Object.entries(file.accounts)) {
      // Only with no user groups is the number of approvers known before Slack is asked.
      const most = Math.max(account.approvals?.default ?? 0, ...Object.values(account.approvals?.byTask ?? {}));
      if (account.approvers.every((id) => !isUserGroupId(id)) && most > account.approvers.length)
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', alias, 'approvals'],
          message: `asks for ${most} approvals, but the account lists only ${account.approvers.length} approver(s)`,
        });
    }
    const wabas = new Map<string, string>();
    for (const [alias, account] of Object.entries(file.accounts)) {
      const other = wabas.get(account.waba_id);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', alias, 'waba_id'],
          message: `WABA ${account.waba_id} is already account "${other}"; each WABA may appear once`,
        });
      wabas.set(account.waba_id, alias);
    }
    const metaUsers = new Map<string, string>();
    for (const [person, meta] of Object.entries(file.people ?? {})) {
      if (!SLACK_USER.test(person) && !EMAIL.test(person))
        ctx.addIssue({
          code: 'custom',
          path: ['people', person],
          message: `"${person}" is neither a Slack user id (U…/W…) nor an email`,
        });
      const other = metaUsers.get(meta);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: ['people', person],
          message: `Meta user ${meta} is already ${other}; one Meta user is one person`,
        });
      metaUsers.set(meta, person);
    }
  });

type AccountEntry = z.infer<typeof accountSchema>;

/**
 * With several accounts, an approver of one is nobody on the others, so no list of approvers can stand in for the
 * admins: the file must name them.
 */
function adminsProblem(file: { admins?: unknown; accounts: Record<string, unknown> }, defaults: PolicyDefaults) {
  const aliases = Object.keys(file.accounts);
  if (file.admins !== undefined || aliases.length < 2) return undefined;
  const instead = defaults.adminIds
    ? ` (ADMIN_IDS applies to a single account only: move ${defaults.adminIds.join(', ')} here)`
    : '';
  return `is needed with several accounts: list who may link people to Meta users, e.g. \`admins: [U0ADMIN01, S0PLATFORM]\`${instead}; approvers are not admins unless listed, and \`accounts.<alias>.admins\` adds admins of one account`;
}

/** Break-glass settings that cannot work: nobody to use it, or tasks the account itself does not offer. */
function breakGlassProblems(
  file: { accounts: Record<string, AccountEntry> },
  defaults: PolicyDefaults,
): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const [alias, account] of Object.entries(file.accounts)) {
    const settings = account.break_glass;
    if (!settings) continue;
    const path = ['accounts', alias, 'break_glass'];
    if (!settings.users && !defaults.breakGlass?.people?.length)
      problems.push({
        path: [...path, 'users'],
        message:
          'is missing: list who may use break-glass here (Slack user and user-group ids), or set BREAK_GLASS_IDS',
      });
    const allowed = account.tasks ? new Set(account.tasks) : undefined;
    settings.tasks?.forEach((one, index) => {
      if (allowed && !allowed.has(one))
        problems.push({
          path: [...path, 'tasks', index],
          message: `${one} is not among the tasks the account allows (${[...allowed].join(', ')})`,
        });
    });
  }
  return problems;
}

/** Reads and checks the policy file; throws a ConfigError listing every problem with its line. */
export function readPolicyFile(path: string, defaults: PolicyDefaults): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigError([`WABA_CONFIG: cannot read the policy file ${path}: ${reason}.`]);
  }
  return parsePolicy(text, path, defaults);
}

/** Parses policy-file text; `source` (the path as configured) names the file in problems. */
export function parsePolicy(text: string, source: string, defaults: PolicyDefaults): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { intAsBigInt: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const line = error.linePos?.[0].line;
        const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        return `${source}${line ? `:${line}` : ''}: ${message} (not valid YAML).`;
      }),
    );
  }
  let data: unknown;
  try {
    // Throws on aliases expanding past yaml's limit (a "billion laughs" file), among other things.
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError([`${source}: ${message} (the YAML cannot be read).`]);
  }
  const parsed = fileSchema
    .superRefine((file, ctx) => {
      const problem = adminsProblem(file, defaults);
      if (problem) ctx.addIssue({ code: 'custom', path: ['admins'], message: problem });
      for (const { path, message } of breakGlassProblems(file, defaults))
        ctx.addIssue({ code: 'custom', path, message });
    })
    .safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
        const line = lineOf(doc, lines, path);
        const message =
          issue.code === 'unrecognized_keys'
            ? `is not a setting here${issue.keys.length > 1 ? ` (nor ${issue.keys.slice(1).join(', ')})` : ''}; check the spelling against the README's example`
            : issue.code === 'invalid_type' && valueAt(data, path) === undefined
              ? `is missing (${issue.message.replace(/^must/, 'it must')})`
              : issue.message;
        return `${source}${line ? `:${line}` : ''}: ${fieldName(path) || 'the file'}: ${message}.`;
      }),
    );
  }
  const file = parsed.data;
  const problems: string[] = [];
  const accounts = Object.entries(file.accounts).map(([alias, entry]) => {
    const account = toAccount(alias, entry, defaults);
    const problem = durationProblem(account.durations);
    if (problem) {
      const path = ['accounts', alias];
      problems.push(`${source}:${lineOf(doc, lines, path)}: ${fieldName(path)}: ${problem}.`);
    }
    const emergency = breakGlassLengthProblem(entry.break_glass?.max_duration, account.durations);
    if (emergency) {
      const path = ['accounts', alias, 'break_glass', 'max_duration'];
      problems.push(`${source}:${lineOf(doc, lines, path)}: ${fieldName(path)}: ${emergency}.`);
    }
    return account;
  });
  if (problems.length > 0) throw new ConfigError(problems);

  const people = Object.entries(file.people ?? {});
  return {
    accounts,
    defaultAlias: file.default_account ?? accounts[0]!.alias,
    // Only one account gets here without `admins:` (see adminsProblem): ADMIN_IDS, else its own admins (who
    // administer every account), else its approvers.
    adminIds: file.admins ?? defaults.adminIds ?? (accounts[0]!.adminIds ? [] : accounts[0]!.approverIds),
    people: {
      bySlackId: new Map(people.filter(([person]) => SLACK_USER.test(person))),
      byEmail: new Map(
        people.filter(([person]) => !SLACK_USER.test(person)).map(([email, meta]) => [email.toLowerCase(), meta]),
      ),
    },
  };
}

function toAccount(alias: string, entry: AccountEntry, defaults: PolicyDefaults): AccountPolicy {
  const approvalChannelId = entry.approval_channel ?? defaults.approvalChannelId;
  const limit = entry.max_duration;
  const durations: GrantDurations = {
    ...defaults.durations,
    ...(limit === undefined
      ? {}
      : limit === 'permanent'
        ? { allowPermanent: true }
        : { maxMs: limit, allowPermanent: false }),
    ...(entry.default_duration === undefined ? {} : { defaultMs: entry.default_duration }),
  };
  const tasks = entry.tasks ? normalizeTasks(entry.tasks) : TASKS;
  const breakGlass = breakGlassPolicy(
    { tasks, durations },
    {
      ...defaults.breakGlass,
      ...(entry.break_glass?.users ? { people: entry.break_glass.users } : {}),
      ...(entry.break_glass?.tasks ? { tasks: normalizeTasks(entry.break_glass.tasks) } : {}),
      ...(entry.break_glass?.max_duration === undefined ? {} : { maxMs: entry.break_glass.max_duration }),
    },
  );
  return {
    alias,
    wabaId: entry.waba_id,
    businessId: entry.business_id,
    approverIds: entry.approvers,
    ...(entry.admins ? { adminIds: entry.admins } : {}),
    ...(approvalChannelId ? { approvalChannelId } : {}),
    tasks,
    approvals: {
      default: entry.approvals?.default ?? defaults.approvals.default,
      byTask: entry.approvals?.byTask ?? defaults.approvals.byTask,
    },
    durations,
    reasonRequired: entry.reason_required ?? false,
    ...(breakGlass ? { breakGlass } : {}),
    ...(entry.requesters
      ? { requesters: { people: entry.requesters.users ?? [], channelIds: entry.requesters.channels ?? [] } }
      : {}),
  };
}

/** Limits that contradict each other once the account's and the environment's settings are combined. */
function durationProblem({ defaultMs, maxMs, minMs }: GrantDurations): string | undefined {
  if (minMs > maxMs) return `max_duration ${formatDuration(maxMs)} is shorter than MIN_GRANT_DURATION`;
  if (defaultMs !== undefined && (defaultMs > maxMs || defaultMs < minMs))
    return `the default grant (${formatDuration(defaultMs)}) is not between ${formatDuration(minMs)} and max_duration ${formatDuration(maxMs)}; set default_duration for this account`;
  return undefined;
}

/** An account's own `break_glass.max_duration` that its other limits contradict. */
function breakGlassLengthProblem(maxMs: number | undefined, { maxMs: longest, minMs }: GrantDurations) {
  if (maxMs === undefined) return undefined;
  if (maxMs > longest)
    return `${formatDuration(maxMs)} is longer than the account's longest grant (${formatDuration(longest)})`;
  if (maxMs < minMs) return `${formatDuration(maxMs)} is shorter than the shortest grant (${formatDuration(minMs)})`;
  return undefined;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** `accounts.support.approvers[1]` */
function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** The line of the deepest part of `path` the document has (a missing field: the line of its parent). */
function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let line = isNode(node) && node.range ? lines.linePos(node.range[0]).line : undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair) break;
      if (isNode(pair.key) && pair.key.range) line = lines.linePos(pair.key.range[0]).line;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(key)];
      if (isNode(node) && node.range) line = lines.linePos(node.range[0]).line;
    } else {
      break;
    }
  }
  return line;
}
