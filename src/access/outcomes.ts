import type { Task } from './tasks.js';

/**
 * Why a request was not filed, as data: the Slack layer puts it into words (src/slack/blocks/outcomes.ts). Every
 * refusal means nothing was stored.
 */
export type SubmitRefusal =
  | RuleProblem['problem']
  /** Meta does not know this user id. */
  | { kind: 'unknown-user'; userId: string }
  /** A revoke of someone who holds nothing on the account. */
  | { kind: 'no-access'; userId: string }
  /** A grant of tasks the user already holds, all of them. */
  | { kind: 'already-has'; userId: string; tasks: readonly Task[] }
  /** Fewer approvers could decide than the request needs (neither its requester nor the person it is for). */
  | { kind: 'too-few-approvers'; account: string; required: number; possible: number }
  /** The approval message could not be posted, so nobody could be asked. */
  | { kind: 'not-announced' }
  /** Break-glass that no approver could review: everyone who approves there is its user or the person it is for. */
  | { kind: 'no-reviewer'; account: string }
  | ExtensionRefusal;

/** Why an extension of a temporary grant was not asked for. */
export type ExtensionRefusal =
  /** Only the grant's requester, the person it is for, and approvers of its account may ask. */
  | { kind: 'not-approver' }
  | { kind: 'grant-ended' }
  /** One extension waits at a time. */
  | { kind: 'extension-waiting'; requestId: string }
  /** The grant would run longer than allowed from now; `mostMs` is the most that could still be added. */
  | { kind: 'extension-too-long'; totalMs: number; maxMs: number; mostMs: number };

/** The fields of a draft request the rules look at, as the form names them. */
export type DraftField = 'account' | 'requester' | 'tasks' | 'reason' | 'duration' | 'emergency';

/** One rule a draft breaks, keyed by the field to change (see rules.ts). */
export type RuleProblem =
  | { field: 'account'; problem: { kind: 'unknown-account'; alias: string; aliases: readonly string[] } }
  | { field: 'requester'; problem: { kind: 'not-a-requester'; account: string } }
  | { field: 'tasks'; problem: { kind: 'no-tasks' } }
  | { field: 'tasks'; problem: { kind: 'tasks-on-revoke' } }
  | { field: 'tasks'; problem: { kind: 'not-requestable'; account: string; tasks: Task[]; allowed: readonly Task[] } }
  | { field: 'reason'; problem: { kind: 'reason-required'; account: string } }
  | { field: 'duration'; problem: { kind: 'permanent-off'; maxMs: number } }
  | { field: 'duration'; problem: { kind: 'too-long'; askedMs: number; maxMs: number } }
  | { field: 'duration'; problem: { kind: 'too-short'; askedMs: number; minMs: number } }
  | BreakGlassProblem;

/** What break-glass does not allow; nothing happens, and the attempt is audited. */
export type BreakGlassProblem =
  /** The person is not listed for break-glass on the account (`people` is who is; empty: nobody). */
  | { field: 'requester'; problem: { kind: 'not-break-glass'; account: string; people: readonly string[] } }
  | {
      field: 'tasks';
      problem: { kind: 'break-glass-tasks'; account: string; tasks: Task[]; allowed: readonly Task[] };
    }
  /** Longer than an emergency grant may last (`askedMs` unset: asked to be permanent). */
  | { field: 'duration'; problem: { kind: 'break-glass-too-long'; askedMs?: number; maxMs: number } }
  | { field: 'reason'; problem: { kind: 'break-glass-reason' } }
  /** Break-glass gives access; it does not remove it. */
  | { field: 'emergency'; problem: { kind: 'break-glass-revoke' } };

/** Why a failed request may not be sent to Meta again, under the rules in force now. */
export type RetryRefusal =
  /** Its Retry window (`REQUEST_TTL` from the failure) closed at `until`; it expires, and can only be asked again. */
  | { kind: 'retry-window-passed'; until: string }
  /** The account no longer offers some of its tasks. */
  | { kind: 'tasks-withdrawn'; account: string; tasks: Task[]; allowed: readonly Task[] }
  /** The account now wants more approvals than it collected. */
  | { kind: 'more-approvals-needed'; needed: number; had: number };
