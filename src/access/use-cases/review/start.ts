import { type Account, isUnknownAccount, resolveAccount, type UnknownAccount } from '../../accounts.js';
import { isContention } from '../../ports.js';
import { type Review, type ReviewPage, reviewPages, type WabaReviews } from '../../review.js';
import { clearOpen, withoutOpen } from './close.js';
import { entry, type ReviewContext, saveReview, withReview } from './context.js';

/** Starting a review: who may, one open per WABA, a fresh roster read, and posting it where approvers decide. */
export type StartReviewResult =
  | { kind: 'started'; review: Review }
  /** One review is open per WABA at a time: this one. */
  | { kind: 'already-open'; review: Review }
  /** Only the account's approvers and admins start reviews; `who` may. */
  | { kind: 'forbidden'; who: readonly string[] }
  /** Nobody is on the account, so there is nothing to review. */
  | { kind: 'empty'; account: string }
  /** Another start on the same account is under way. */
  | { kind: 'busy' }
  /** The review could not be shown to anyone, so it was closed at once. */
  | { kind: 'not-posted' }
  | UnknownAccount;

const startLock = (wabaId: string) => `review-start:${wabaId}`;

/**
 * Starts a review of an account: one fresh roster read (a page per 100 people), stored, then posted where the
 * account's approvers decide. Only one review is open per WABA; asking again points to it.
 */
export async function startReview(
  rc: ReviewContext,
  input: { account?: string; actorId: string },
): Promise<StartReviewResult> {
  const account = resolveAccount(rc.ctx.deps.accounts, input.account);
  if (isUnknownAccount(account)) return account;
  if (!(await mayStart(rc, account, input.actorId))) {
    return { kind: 'forbidden', who: [...new Set([...account.policy.approverIds, ...adminIds(rc, account)])] };
  }
  const result = await openReview(rc, account, input.actorId, { waitMs: 3_000 });
  // Without a schedule's condition, every start is due.
  return result.kind === 'not-due' ? { kind: 'busy' } : result;
}

/** Whether this person may start a review of the account: its approvers, its admins, and the global admins. */
async function mayStart(rc: ReviewContext, account: Account, actorId: string): Promise<boolean> {
  return (
    (await account.approvers.isApprover(actorId)) ||
    ((await account.admins?.includes(actorId)) ?? false) ||
    ((await rc.deps.globalAdmins?.includes(actorId)) ?? false)
  );
}

function adminIds(rc: ReviewContext, account: Account): readonly string[] {
  return [...(account.policy.adminIds ?? []), ...(rc.deps.globalAdmins?.ids() ?? [])];
}

export type Opened = StartReviewResult | { kind: 'not-due' };

/**
 * Opens a review under the WABA's start lock, so two starts (two people, or the schedule on two replicas) make one.
 * `due` is asked, under the lock, whether a scheduled review should start.
 */
export async function openReview(
  rc: ReviewContext,
  account: Account,
  actorId: string,
  options: { waitMs: number; due?: (current: WabaReviews) => boolean },
): Promise<Opened> {
  const { ctx, deps } = rc;
  const { repository } = deps;
  const wabaId = account.policy.wabaId;
  let created: { review: Review; first: ReviewPage; previousStart: string | undefined } | Opened;
  try {
    created = await ctx.deps.locker.withLock(
      startLock(wabaId),
      async (): Promise<{ review: Review; first: ReviewPage; previousStart: string | undefined } | Opened> => {
        const current = await repository.wabaReviews(wabaId);
        if (current.openReviewId) {
          const existing = await repository.get(current.openReviewId);
          if (existing?.state === 'open') return { kind: 'already-open', review: existing };
        }
        if (options.due && !options.due(current)) return { kind: 'not-due' };
        // A review is a decision: it starts from a fresh read, which also refreshes the roster cache lists use.
        const roster = await account.waba.roster({ fresh: true });
        const now = ctx.clock.now().toISOString();
        if (roster.users.length === 0) {
          await repository.saveWabaReviews(wabaId, { ...withoutOpen(current), lastStartedAt: now });
          return { kind: 'empty', account: account.policy.alias };
        }
        const id = ctx.newId();
        const pages = reviewPages(id, roster.users);
        await repository.createPages(pages);
        const review = await saveReview(
          rc,
          {
            id,
            wabaId,
            accountAlias: account.policy.alias,
            startedBy: actorId,
            startedAt: now,
            readAt: roster.readAt,
            total: roster.users.length,
            pages: pages.length,
            state: 'open',
            decidedByPage: pages.map(() => 0),
            working: [],
            reviewers: [],
            messages: [],
            updatedAt: now,
          },
          entry(rc, id, actorId, 'review-started', {
            detail: `${roster.users.length} people on ${account.policy.alias}, read ${roster.readAt}`,
          }),
        );
        await repository.saveWabaReviews(wabaId, { ...current, openReviewId: id, lastStartedAt: now });
        await repository.setOpen(id, true);
        return { review, first: pages[0]!, previousStart: current.lastStartedAt };
      },
      { waitMs: options.waitMs },
    );
  } catch (error) {
    if (isContention(error)) return { kind: 'busy' };
    throw error;
  }
  if ('kind' in created) return created;
  return post(rc, created.review, created.first, created.previousStart);
}

/**
 * Posts a new review and records where. A review nobody can see is closed again at once, and the WABA's last start
 * goes back to `previousStart`, so a schedule is not put off by a review that never reached anyone.
 */
async function post(
  rc: ReviewContext,
  review: Review,
  first: ReviewPage,
  previousStart: string | undefined,
): Promise<StartReviewResult> {
  const { ctx, deps } = rc;
  let refs: Array<{ channel: string; ts: string }>;
  try {
    refs = await deps.notifier.post(review, first);
  } catch (error) {
    ctx.deps.logger?.error({ err: error, reviewId: review.id }, 'could not post an access review');
    await withReview(rc, review.id, async () => {
      const latest = await deps.repository.get(review.id);
      if (latest?.state !== 'open') return;
      const now = ctx.clock.now().toISOString();
      await saveReview(
        rc,
        { ...latest, state: 'closed', closedAt: now, abandoned: 'could not be posted', updatedAt: now },
        entry(rc, review.id, 'system', 'review-closed', { detail: 'the review could not be posted' }),
      );
      await deps.repository.setOpen(review.id, false);
    });
    await clearOpen(rc, review, { lastStartedAt: previousStart });
    return { kind: 'not-posted' };
  }
  const shown = await withReview(rc, review.id, async () => {
    const latest = (await deps.repository.get(review.id)) ?? review;
    return deps.repository.save({ ...latest, messages: refs.map((ref) => ({ ...ref, page: 0 })) });
  });
  return { kind: 'started', review: shown };
}
