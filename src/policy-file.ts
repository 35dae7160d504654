import { readFileSync } from 'node:fs';
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import {
  type AccountPolicy,
  type BreakGlassSettings,
  breakGlassPolicy,
  type GrantDurations,
  type Policy,
} from './access/accounts.js';
import { formatDuration } from './access/duration.js';
import type { ApprovalCounts } from './access/policy.js';
import { normalizeTasks, TASKS } from './access/tasks.js';
import { ConfigError } from './config-error.js';
import { type AccountEntry, fileSchema, SLACK_USER } from './policy-file-schema.js';

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
