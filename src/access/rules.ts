import {
  type Account,
  type AccountLookup,
  type AccountPolicy,
  type GrantDurations,
  resolveAccount,
} from './accounts.js';
import type { DraftField, RuleProblem } from './outcomes.js';
import type { Task } from './tasks.js';

/**
 * The rulebook: what an account allows a request to be, before anyone reads Meta. The slash command (through
 * submit) and the form (field by field) both check a draft here, so the two cannot disagree.
 */

/** A request as someone is writing it. */
export interface Draft {
  kind: 'grant' | 'revoke';
  tasks: readonly Task[];
  reason?: string;
  /** How long a grant lasts; `permanent` to ask for no end; unset: the account's default. */
  duration?: number | 'permanent';
  requesterId: string;
  channelId: string;
}

/** A draft the rules allow: its account, and how long the grant lasts (unset: it does not end). */
export interface Allowed {
  kind: 'allowed';
  account: Account;
  durationMs?: number;
}

/**
 * Every rule a draft breaks on the account it names (`alias`; unset: the default), in the order a person should
 * fix them, or the account and the grant's length when it breaks none. Who may ask is a question to Slack (user
 * groups), so it is asked only when `requester` is set.
 */
export async function checkDraft(
  accounts: AccountLookup,
  alias: string | undefined,
  draft: Draft,
  { requester = true }: { requester?: boolean } = {},
): Promise<Allowed | { kind: 'problems'; problems: RuleProblem[] }> {
  const account = resolveAccount(accounts, alias);
  if ('kind' in account) return { kind: 'problems', problems: [{ field: 'account', problem: account }] };
  const problems: RuleProblem[] = [];
  if (requester) {
    const refused = await requesterProblem(account, draft.requesterId, draft.channelId);
    if (refused) problems.push(refused);
  }
  problems.push(...policyProblems(account.policy, draft));
  const length = draft.kind === 'grant' ? grantLength(draft.duration, account.policy.durations) : {};
  if ('field' in length) problems.push(length);
  if (problems.length > 0) return { kind: 'problems', problems };
  return { kind: 'allowed', account, ...length };
}

/** Whether this person, asking in this channel, may ask on the account: listed, in a listed group or channel. */
export async function requesterProblem(
  { policy, requesters }: Account,
  requesterId: string,
  channelId: string,
): Promise<RuleProblem | undefined> {
  if (!requesters || requesters.channelIds.includes(channelId) || (await requesters.people.includes(requesterId)))
    return undefined;
  return { field: 'requester', problem: { kind: 'not-a-requester', account: policy.alias } };
}

/** What the account's rules say of the tasks and the reason; asks nobody. */
export function policyProblems(policy: AccountPolicy, draft: Pick<Draft, 'kind' | 'tasks' | 'reason'>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (draft.kind === 'grant' && draft.tasks.length === 0)
    problems.push({ field: 'tasks', problem: { kind: 'no-tasks' } });
  if (draft.kind === 'revoke' && draft.tasks.length > 0)
    problems.push({ field: 'tasks', problem: { kind: 'tasks-on-revoke' } });
  const barred = draft.kind === 'grant' ? draft.tasks.filter((task) => !policy.tasks.includes(task)) : [];
  if (barred.length > 0)
    problems.push({
      field: 'tasks',
      problem: { kind: 'not-requestable', account: policy.alias, tasks: barred, allowed: policy.tasks },
    });
  if (policy.reasonRequired && !draft.reason?.trim())
    problems.push({ field: 'reason', problem: { kind: 'reason-required', account: policy.alias } });
  return problems;
}

/** A grant's length under the account's rules (unset: permanent), or why it is not allowed. */
export function grantLength(
  asked: Draft['duration'],
  { defaultMs, maxMs, minMs, allowPermanent }: GrantDurations,
): { durationMs?: number } | Extract<RuleProblem, { field: 'duration' }> {
  if (asked === 'permanent' || (asked === undefined && defaultMs === undefined)) {
    return allowPermanent ? {} : { field: 'duration', problem: { kind: 'permanent-off', maxMs } };
  }
  const askedMs = asked ?? defaultMs!;
  if (askedMs > maxMs) return { field: 'duration', problem: { kind: 'too-long', askedMs, maxMs } };
  if (askedMs < minMs) return { field: 'duration', problem: { kind: 'too-short', askedMs, minMs } };
  return { durationMs: askedMs };
}

/**
 * Every rule a break-glass draft breaks on the account it names, or the account and how long the emergency grant
 * lasts (the longest allowed, unless asked for less). Break-glass needs its person to be listed (asked only when
 * `requester` is set: user groups are a question to Slack), tasks among those allowed, a reason, and an end within
 * the emergency maximum. Who may ask for ordinary requests does not apply: the people listed may act anywhere.
 */
export async function checkBreakGlass(
  accounts: AccountLookup,
  alias: string | undefined,
  draft: Draft,
  { requester = true }: { requester?: boolean } = {},
): Promise<{ kind: 'allowed'; account: Account; durationMs: number } | { kind: 'problems'; problems: RuleProblem[] }> {
  const account = resolveAccount(accounts, alias);
  if ('kind' in account) return { kind: 'problems', problems: [{ field: 'account', problem: account }] };
  const { policy } = account;
  const problems: RuleProblem[] = [];
  if (requester && !(await account.breakGlass?.includes(draft.requesterId)))
    problems.push({
      field: 'requester',
      problem: { kind: 'not-break-glass', account: policy.alias, people: policy.breakGlass?.people ?? [] },
    });
  if (draft.kind === 'revoke') problems.push({ field: 'emergency', problem: { kind: 'break-glass-revoke' } });
  const allowed = policy.breakGlass?.tasks ?? [];
  const barred = draft.tasks.filter((task) => !allowed.includes(task));
  if (draft.kind === 'grant' && draft.tasks.length === 0)
    problems.push({ field: 'tasks', problem: { kind: 'no-tasks' } });
  else if (barred.length > 0)
    problems.push({
      field: 'tasks',
      problem: { kind: 'break-glass-tasks', account: policy.alias, tasks: barred, allowed },
    });
  if (!draft.reason?.trim()) problems.push({ field: 'reason', problem: { kind: 'break-glass-reason' } });
  const length = emergencyLength(draft.duration, policy);
  if ('field' in length) problems.push(length);
  if (problems.length > 0) return { kind: 'problems', problems };
  return { kind: 'allowed', account, durationMs: (length as { durationMs: number }).durationMs };
}

/** An emergency grant's length: as asked, or the longest allowed; never permanent. */
function emergencyLength(
  asked: Draft['duration'],
  policy: AccountPolicy,
): { durationMs: number } | Extract<RuleProblem, { field: 'duration' }> {
  const maxMs = policy.breakGlass?.maxMs ?? 0;
  if (asked === 'permanent') return { field: 'duration', problem: { kind: 'break-glass-too-long', maxMs } };
  const askedMs = asked ?? maxMs;
  if (askedMs > maxMs) return { field: 'duration', problem: { kind: 'break-glass-too-long', askedMs, maxMs } };
  const { minMs } = policy.durations;
  if (askedMs < minMs) return { field: 'duration', problem: { kind: 'too-short', askedMs, minMs } };
  return { durationMs: askedMs };
}

/** The first problem with each field, for a form that shows one message per field. */
export function byField(problems: readonly RuleProblem[]): Map<DraftField, RuleProblem> {
  const first = new Map<DraftField, RuleProblem>();
  for (const problem of problems) if (!first.has(problem.field)) first.set(problem.field, problem);
  return first;
}
