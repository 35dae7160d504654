import type { Account } from '../../accounts.js';
import { isContention } from '../../ports.js';
import { type AccessRequest, approve, startExecution } from '../../request.js';
import type { Review, ReviewRefusal, ReviewRow, RowChoice, RowDecision, RowRef, WorkingRow } from '../../review.js';
import { newRequest } from '../submit.js';
import { closeIfComplete } from './close.js';
import { countedPage, entry, type ReviewContext, replaceRow, savePage, withReview } from './context.js';
import { settle } from './settle.js';
import { show } from './show.js';

/** Deciding one row: who may, Keep, Remove or Make temporary recorded once, and the change carried out. */
export type DecideRowResult = { kind: 'decided'; review: Review; row: ReviewRow } | ReviewRefusal;

/** Whether this person may decide this row: an approver of the account, and not the person on it. */
async function mayDecide(
  rc: ReviewContext,
  ref: RowRef,
  actorId: string,
): Promise<{ kind: 'allowed'; review: Review; row: ReviewRow; account: Account } | ReviewRefusal> {
  const { ctx, deps } = rc;
  const review = await deps.repository.get(ref.reviewId);
  if (!review) return { kind: 'not-found' };
  if (review.state !== 'open') return { kind: 'closed', review };
  const row = (await deps.repository.page(review.id, ref.page))?.rows[ref.index];
  if (row?.userId !== ref.userId) return { kind: 'stale', review };
  const account = ctx.deps.accounts.forWaba(review.wabaId);
  if (!account) return { kind: 'unconfigured', review };
  const { approverIds } = account.policy;
  if (!(await account.approvers.isApprover(actorId))) return { kind: 'forbidden', reason: 'not-approver', approverIds };
  if (await ctx.interest.of({ targetUserId: row.userId }, actorId))
    return { kind: 'forbidden', reason: 'own-row', approverIds };
  if (row.decision) return { kind: 'already', review, row };
  return { kind: 'allowed', review, row, account };
}

/** Whether this person may make this row temporary, and for how long at most (for the form). */
export async function temporaryCheck(
  rc: ReviewContext,
  ref: RowRef,
  actorId: string,
): Promise<{ kind: 'allowed'; row: ReviewRow; minMs: number; maxMs: number } | ReviewRefusal> {
  const check = await mayDecide(rc, ref, actorId);
  if (check.kind !== 'allowed') return check;
  const { minMs, maxMs } = check.account.policy.durations;
  return { kind: 'allowed', row: check.row, minMs, maxMs };
}

/**
 * An approver decides one row: Keep (recorded), Remove (a revoke request, approved by them, carried out like any
 * revoke: a fresh read of the person, then one DELETE), or Make temporary (a temporary grant of what the person holds,
 * ending in their removal). Each row is decided once, however many clicks race, in one process or several.
 */
export async function decideRow(
  rc: ReviewContext,
  input: { ref: RowRef; actorId: string; choice: RowChoice; durationMs?: number },
): Promise<DecideRowResult> {
  const { ctx } = rc;
  const check = await mayDecide(rc, input.ref, input.actorId);
  if (check.kind !== 'allowed') return check;
  if (input.choice === 'temporary') {
    const { minMs, maxMs } = check.account.policy.durations;
    const askedMs = input.durationMs ?? 0;
    if (askedMs > maxMs) return { kind: 'too-long', askedMs, maxMs };
    if (askedMs < minMs) return { kind: 'too-short', askedMs, minMs };
  }
  let claimed: Claimed | ReviewRefusal;
  try {
    claimed = await withReview(rc, input.ref.reviewId, () => claim(rc, input));
  } catch (error) {
    if (isContention(error)) return { kind: 'busy' };
    throw error;
  }
  if (claimed.kind !== 'claimed') return claimed;
  await show(rc, claimed.review);
  if (claimed.requestId === undefined) {
    await closeIfComplete(rc, claimed.review.id);
    return { kind: 'decided', review: claimed.review, row: claimed.row };
  }
  let request: AccessRequest | undefined;
  try {
    request = await carryOut(rc, check.account, claimed, input.actorId);
  } catch (error) {
    // The request may or may not have been stored; the sweep settles the row from what the store says.
    ctx.deps.logger?.error({ err: error, reviewId: claimed.review.id }, 'could not carry out a review decision');
    return { kind: 'decided', review: claimed.review, row: claimed.row };
  }
  // The change is made (or refused) and its request records it: a row that cannot be brought up to date now (the
  // store, or a long wait for the review's lock) is settled by the next sweep, so the reviewer hears it was decided.
  const settled = await settle(rc, claimed.review.id, { ...claimed.at, requestId: claimed.requestId }, request).catch(
    (error: unknown) => {
      ctx.deps.logger?.warn({ err: error, reviewId: claimed.review.id }, 'review row left for the sweep to settle');
      return undefined;
    },
  );
  return { kind: 'decided', review: settled?.review ?? claimed.review, row: settled?.row ?? claimed.row };
}

interface Claimed {
  kind: 'claimed';
  review: Review;
  row: ReviewRow;
  at: { page: number; index: number };
  /** The request that carries the decision out; none for Keep. */
  requestId?: string;
}

/** Records the decision on the row as stored, under the review's lock; the row must still be open. */
async function claim(
  rc: ReviewContext,
  input: { ref: RowRef; actorId: string; choice: RowChoice; durationMs?: number },
): Promise<Claimed | ReviewRefusal> {
  const { ctx, deps } = rc;
  const { ref, actorId, choice } = input;
  const review = await deps.repository.get(ref.reviewId);
  if (!review) return { kind: 'not-found' };
  if (review.state !== 'open') return { kind: 'closed', review };
  const page = await deps.repository.page(review.id, ref.page);
  const row = page?.rows[ref.index];
  if (!page || row?.userId !== ref.userId) return { kind: 'stale', review };
  if (row.decision) return { kind: 'already', review, row };
  const now = ctx.clock.now();
  const at = now.toISOString();
  const requestId = choice === 'keep' ? undefined : ctx.newId();
  const decision: RowDecision =
    choice === 'keep'
      ? { kind: 'keep', by: actorId, at }
      : choice === 'remove'
        ? { kind: 'remove', by: actorId, at, requestId: requestId!, status: 'removing' }
        : {
            kind: 'temporary',
            by: actorId,
            at,
            requestId: requestId!,
            endsAt: new Date(now.getTime() + (input.durationMs ?? 0)).toISOString(),
            status: 'applying',
          };
  const { failure: _failure, ...rest } = row;
  const decidedRow: ReviewRow = { ...rest, decision };
  const saved = await savePage(
    rc,
    replaceRow(page, ref.index, decidedRow),
    entry(rc, review.id, actorId, 'row-decided', {
      userId: row.userId,
      detail: choice === 'temporary' && decision.kind === 'temporary' ? `temporary until ${decision.endsAt}` : choice,
    }),
  );
  const working: WorkingRow[] = requestId
    ? [...review.working, { page: ref.page, index: ref.index, requestId, since: at }]
    : review.working;
  const updated = await deps.repository.save({
    ...countedPage(review, saved),
    working,
    reviewers: review.reviewers.includes(actorId) ? review.reviewers : [...review.reviewers, actorId],
    updatedAt: at,
  });
  return {
    kind: 'claimed',
    review: updated,
    row: decidedRow,
    at: { page: ref.page, index: ref.index },
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * Carries out Remove or Make temporary through the requests' execution path: a request approved by the reviewer,
 * claimed for execution under its lock (so recovery finishes it if this process stops), then executed.
 */
async function carryOut(
  rc: ReviewContext,
  account: Account,
  claimed: Claimed,
  actorId: string,
): Promise<AccessRequest> {
  const { ctx } = rc;
  const { review, row } = claimed;
  const decision = row.decision!;
  const temporary = decision.kind === 'temporary';
  const durationMs = temporary ? new Date(decision.endsAt).getTime() - new Date(decision.at).getTime() : undefined;
  const asked = newRequest(ctx, {
    kind: temporary ? 'grant' : 'revoke',
    wabaId: review.wabaId,
    accountAlias: account.policy.alias,
    targetUserId: row.userId,
    ...(row.name ? { targetName: row.name } : {}),
    tasks: temporary ? row.tasks : [],
    currentTasks: row.tasks,
    afterTasks: temporary ? row.tasks : [],
    requesterId: actorId,
    // A grant's end is told where the review is (or, from approvers' DMs, to the reviewer alone).
    originChannelId: review.messages[0]?.channel ?? actorId,
    reason: `access review ${review.id}`,
    ...(durationMs ? { durationMs } : {}),
    review: { reviewId: review.id, choice: temporary ? 'temporary' : 'remove' },
  });
  const request = { ...asked, id: claimed.requestId! };
  const now = ctx.clock.now();
  const executing = await ctx.writer.withLock(request.id, async () => {
    const approved = await ctx.writer.persist(approve(request, actorId, now), actorId, `access review ${review.id}`);
    return ctx.writer.persist(startExecution(approved, now, ctx.leaseMs, ctx.instanceId), 'system');
  });
  return ctx.execute(executing);
}
