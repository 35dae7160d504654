import { z } from 'zod';
import { type AccessRequest, messageRefSchema } from './request.js';
import { normalizeTasks, type Task, taskSchema } from './tasks.js';

/**
 * Temporary access: a grant that ends on its own, and the per-user ledger that lets several overlapping grants end
 * without taking away what the user holds for other reasons.
 *
 * The ledger keeps the user's *baseline* — what they hold apart from our live temporary grants (null: no access).
 * What the user should hold is always baseline ∪ tasks of live grants; when a grant ends, the user goes back to
 * baseline ∪ tasks of the grants still live. A fresh read that disagrees means someone else changed the user's
 * access meanwhile: that is a conflict, and nothing is overwritten without an approver's word.
 */

const isoDate = z.iso.datetime();

export const grantSchema = z.object({
  id: z.string(),
  /** The request that created it. */
  requestId: z.string(),
  wabaId: z.string(),
  userId: z.string(),
  targetName: z.string().optional(),
  /** The Slack person the grant is for, when its request named one: they may not extend or keep it. */
  targetSlackId: z.string().optional(),
  /** The tasks this grant gave (those asked for). */
  tasks: z.array(taskSchema),
  requesterId: z.string(),
  originChannelId: z.string(),
  startsAt: isoDate,
  endsAt: isoDate,
  state: z.enum(['active', 'conflict', 'ended']),
  /** How it ended. */
  outcome: z.enum(['restored', 'removed', 'kept', 'overridden', 'revoked', 'lost']).optional(),
  endedAt: isoDate.optional(),
  /** Who ended it early (Revoke now, I'm done, a break-glass review), or resolved a conflict. */
  endedBy: z.string().optional(),
  /**
   * Why it ended early when not by an approver's Revoke now: the person who asked for it or holds it was done with it,
   * or an approver revoked it on reviewing a break-glass use.
   */
  earlyEnd: z.enum(['done', 'review']).optional(),
  /** The end the heads-up before it was sent for: sent once per end, so an extension gets one of its own. */
  noticeSentFor: isoDate.optional(),
  /** What the user was left with. */
  finalTasks: z.array(taskSchema).nullable().optional(),
  conflict: z
    .object({
      expected: z.array(taskSchema).nullable(),
      found: z.array(taskSchema).nullable(),
      target: z.array(taskSchema).nullable(),
    })
    .optional(),
  /** Where approvers were asked to settle a conflict. */
  conflictMessages: z.array(messageRefSchema).default([]),
});
export type TemporaryGrant = z.infer<typeof grantSchema>;

export const ledgerSchema = z.object({
  baseline: z.array(taskSchema).nullable(),
  liveGrantIds: z.array(z.string()),
});
export type Ledger = z.infer<typeof ledgerSchema>;

function union(sets: Iterable<readonly Task[] | null>): Task[] {
  const all: Task[] = [];
  for (const set of sets) if (set) all.push(...set);
  return normalizeTasks(all);
}

/** Null for "no access", else the tasks in a stable order. */
function asAccess(tasks: Task[]): Task[] | null {
  return tasks.length === 0 ? null : normalizeTasks(tasks);
}

/** The running temporary grant a request makes: `tasks` for the request's person, from `startsAt` to `endsAt`. */
export function grantFor(
  request: Pick<
    AccessRequest,
    'id' | 'wabaId' | 'targetUserId' | 'targetName' | 'targetSlackId' | 'requesterId' | 'originChannelId'
  >,
  tasks: Task[],
  startsAt: Date,
  endsAt: Date,
): TemporaryGrant {
  return {
    id: request.id,
    requestId: request.id,
    wabaId: request.wabaId,
    userId: request.targetUserId,
    ...(request.targetName ? { targetName: request.targetName } : {}),
    ...(request.targetSlackId ? { targetSlackId: request.targetSlackId } : {}),
    tasks,
    requesterId: request.requesterId,
    originChannelId: request.originChannelId,
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    state: 'active',
    conflictMessages: [],
  };
}

export function sameAccess(a: readonly Task[] | null, b: readonly Task[] | null): boolean {
  const left = a ? normalizeTasks(a) : [];
  const right = b ? normalizeTasks(b) : [];
  return left.length === right.length && left.every((task, i) => task === right[i]);
}

/** What the user should hold now: baseline ∪ every live grant. */
export function expectedAccess(ledger: Ledger, live: readonly TemporaryGrant[]): Task[] | null {
  return asAccess(union([ledger.baseline, ...live.map((grant) => grant.tasks)]));
}

/** Tasks the user holds only because of live grants. */
function owed(ledger: Ledger, live: readonly TemporaryGrant[]): Set<Task> {
  const baseline = new Set(ledger.baseline ?? []);
  return new Set(union(live.map((grant) => grant.tasks)).filter((task) => !baseline.has(task)));
}

/**
 * The ledger after one of our grants was carried out. `before` is the fresh read just before the write; `requested`
 * the tasks asked for. A permanent grant becomes part of the baseline; a temporary one joins the live grants.
 */
export function ledgerAfterGrant(
  ledger: Ledger | undefined,
  live: readonly TemporaryGrant[],
  before: Task[] | null,
  requested: readonly Task[],
  temporaryGrantId?: string,
): Ledger {
  const current = ledger ?? { baseline: before, liveGrantIds: [] };
  const debt = owed(current, live);
  const kept = (before ?? []).filter((task) => !debt.has(task));
  const baseline = asAccess(temporaryGrantId ? kept : [...kept, ...requested]);
  return {
    baseline,
    liveGrantIds: temporaryGrantId ? [...current.liveGrantIds, temporaryGrantId] : [...current.liveGrantIds],
  };
}

export type ExpiryPlan =
  /** Someone else changed the user's access: ask approvers before writing. */
  | { kind: 'conflict'; expected: Task[] | null; found: Task[] | null; target: Task[] | null }
  /** Nothing to send: the user already holds the target. */
  | { kind: 'unchanged'; target: Task[] | null }
  | { kind: 'assign'; target: Task[] }
  /** The user had no access before any of our grants and no other grant is live: remove them. */
  | { kind: 'remove' };

/** What ending `ending` means for a user who, on a fresh read, holds `found`. */
export function planExpiry(
  ledger: Ledger,
  live: readonly TemporaryGrant[],
  ending: TemporaryGrant,
  found: Task[] | null,
): ExpiryPlan {
  const others = live.filter((grant) => grant.id !== ending.id);
  const target = asAccess(union([ledger.baseline, ...others.map((grant) => grant.tasks)]));
  const expected = expectedAccess(ledger, live);
  if (!sameAccess(found, expected)) return { kind: 'conflict', expected, found: asAccess(found ?? []), target };
  return planTarget(found, target);
}

/** How to bring a user from `found` to `target`. */
export function planTarget(found: Task[] | null, target: Task[] | null): Exclude<ExpiryPlan, { kind: 'conflict' }> {
  if (sameAccess(found, target)) return { kind: 'unchanged', target };
  if (target === null) return { kind: 'remove' };
  return { kind: 'assign', target };
}

/** The ledger once `ended` is no longer live; `holding` is what the user now holds. */
export function ledgerAfterEnd(
  ledger: Ledger,
  live: readonly TemporaryGrant[],
  ended: TemporaryGrant,
  holding: Task[] | null,
): Ledger {
  const others = live.filter((grant) => grant.id !== ended.id);
  // Whatever the user holds that no live grant explains is theirs for good (this is how "keep" adopts a change).
  const debt = owed({ baseline: ledger.baseline, liveGrantIds: [] }, others);
  return {
    baseline: asAccess((holding ?? []).filter((task) => !debt.has(task))),
    liveGrantIds: ledger.liveGrantIds.filter((id) => id !== ended.id),
  };
}

/**
 * The ledger once everything the user holds became a temporary grant (`grantId`, an access review's "make
 * temporary"): nothing is theirs for good any more, so when the last live grant ends, they are removed.
 */
export function ledgerAfterMakingTemporary(live: readonly TemporaryGrant[], grantId: string): Ledger {
  return { baseline: null, liveGrantIds: [...live.map((grant) => grant.id), grantId] };
}
