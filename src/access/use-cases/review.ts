import { type Account, isUnknownAccount, resolveAccount, type UnknownAccount } from '../accounts.js';
import { isContention, TransitionConflictError } from '../ports.js';
import { type AccessRequest, approve, type ExecutionError, isFinal, startExecution } from '../request.js';
import {
  decidedIn,
  isComplete,
  pagesShown,
  type Review,
  type ReviewAuditEntry,
  type ReviewMessage,
  type ReviewNotifier,
  type ReviewPage,
  type ReviewRefusal,
  type ReviewRepository,
  type ReviewRow,
  type RowChoice,
  type RowDecision,
  type RowRef,
  reviewPages,
  summarize,
  type WabaReviews,
  type WorkingRow,
} from '../review.js';
import type { UseCaseContext } from './context.js';
import { newRequest } from './submit.js';

/** What reviews need beyond the use-case context: where they live, how they are shown, and the schedule. */
export interface ReviewDeps {
  repository: ReviewRepository;
  notifier: ReviewNotifier;
  /** Who may start a review besides the account's approvers and admins: the bot's global admins. */
  globalAdmins?: { includes(slackId: string): Promise<boolean>; ids(): readonly string[] };
  /** A review starts on its own this long after the last one on the same WABA started; unset: never. */
  everyMs?: number;
}

/** A review use case's view of the world. */
export interface ReviewContext {
  ctx: UseCaseContext;
  deps: ReviewDeps;
  /** Per WABA, when this process may try a scheduled start again after failures in a row, and how many. */
  retryScheduledAt: Map<string, { at: number; failures: number }>;
}

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

export type DecideRowResult = { kind: 'decided'; review: Review; row: ReviewRow } | ReviewRefusal;

const reviewLock = (id: string) => `review:${id}`;
const startLock = (wabaId: string) => `review-start:${wabaId}`;
/** A review's lock is held for store reads and writes only, never across a Graph call. */
const REVIEW_LOCK = { waitMs: 10_000 };
/** How long a review must have been quiet before its counts are checked against its pages. */
const QUIET_MS = 30_000;

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
  const result = await open(rc, account, input.actorId, { waitMs: 3_000 });
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

type Opened = StartReviewResult | { kind: 'not-due' };

/**
 * Opens a review under the WABA's start lock, so two starts (two people, or the schedule on two replicas) make one.
 * `due` is asked, under the lock, whether a scheduled review should start.
 */
async function open(
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

/** Marks the WABA as having no open review, when `review` is the one it has; `restore` puts back its last start. */
async function clearOpen(
  rc: ReviewContext,
  review: Review,
  restore?: { lastStartedAt: string | undefined },
): Promise<void> {
  const { repository } = rc.deps;
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await repository.wabaReviews(review.wabaId);
    if (current.openReviewId !== review.id) return;
    const { lastStartedAt: _started, ...rest } = withoutOpen(current);
    const lastStartedAt = restore ? restore.lastStartedAt : current.lastStartedAt;
    try {
      await repository.saveWabaReviews(review.wabaId, { ...rest, ...(lastStartedAt ? { lastStartedAt } : {}) });
      return;
    } catch (error) {
      // A new review started meanwhile wrote first: read again.
      if (!(error instanceof TransitionConflictError)) throw error;
    }
  }
}

function withoutOpen({ openReviewId: _open, ...rest }: WabaReviews): WabaReviews {
  return rest;
}

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

/**
 * Brings a row whose decision was being carried out up to date with its request: removed, made temporary, or (the
 * request failed, or never came to be) open again with why. Also heals the header's count and work list.
 */
async function settle(
  rc: ReviewContext,
  reviewId: string,
  work: Pick<WorkingRow, 'page' | 'index' | 'requestId'>,
  request: AccessRequest | undefined,
): Promise<{ review: Review; row: ReviewRow } | undefined> {
  const { ctx, deps } = rc;
  const settled = await withReview(rc, reviewId, async () => {
    const review = await deps.repository.get(reviewId);
    const page = review && (await deps.repository.page(reviewId, work.page));
    if (!review || !page) return undefined;
    const row = page.rows[work.index];
    const decision = row?.decision;
    let saved = page;
    let next = row;
    if (row && decision && decision.kind !== 'keep' && decision.requestId === work.requestId) {
      next = await settledRow(rc, row, decision, request);
      if (next !== row) {
        const event = next.decision ? 'row-settled' : 'row-reopened';
        const detail = next.decision && next.decision.kind !== 'keep' ? next.decision.status : 'the change failed';
        saved = await savePage(
          rc,
          replaceRow(page, work.index, next),
          entry(rc, reviewId, 'system', event, { userId: row.userId, detail }),
        );
      }
    }
    // The row stays on the work list while its request is still under way (another process carries it out).
    const stillWorking = inProgress(next?.decision);
    const updated = await deps.repository.save({
      ...countedPage(review, saved),
      working: stillWorking ? review.working : review.working.filter((other) => other.requestId !== work.requestId),
      updatedAt: ctx.clock.now().toISOString(),
    });
    return next && { review: updated, row: next };
  });
  if (!settled) return undefined;
  await show(rc, settled.review);
  await closeIfComplete(rc, reviewId);
  return settled;
}

/** The row once its request has ended (or was never stored); the row itself while the request is under way. */
async function settledRow(
  rc: ReviewContext,
  row: ReviewRow,
  decision: Exclude<RowDecision, { kind: 'keep' }>,
  request: AccessRequest | undefined,
): Promise<ReviewRow> {
  if (!inProgress(decision)) return row;
  if (request?.state === 'succeeded') {
    if (decision.kind === 'remove') {
      return { ...row, decision: { ...decision, status: request.hadNoAccess ? 'gone' : 'removed' } };
    }
    if (request.hadNoAccess) return { ...row, decision: { ...decision, status: 'gone' } };
    const grant = await rc.ctx.deps.repository.getGrant(request.id);
    return { ...row, decision: { ...decision, status: 'applied', endsAt: grant?.endsAt ?? decision.endsAt } };
  }
  if (request && !isFinal(request)) return row;
  const error: ExecutionError =
    request?.state === 'failed'
      ? request.error
      : request
        ? { message: `the request ended ${request.state}`, category: 'unknown', reason: 'unexpected' }
        : { message: 'the bot stopped before carrying it out', category: 'unknown', reason: 'unexpected' };
  const { decision: _decision, ...open } = row;
  return {
    ...open,
    failure: { choice: decision.kind, by: decision.by, at: rc.ctx.clock.now().toISOString(), error },
  };
}

/** Whether a decision is still being carried out on Graph. */
function inProgress(decision: RowDecision | undefined): decision is Exclude<RowDecision, { kind: 'keep' }> {
  return decision?.kind !== 'keep' && (decision?.status === 'removing' || decision?.status === 'applying');
}

/** Closes a review whose rows are all decided and carried out, and posts its summary (once: the close is a write). */
async function closeIfComplete(rc: ReviewContext, reviewId: string): Promise<void> {
  const { ctx, deps } = rc;
  // Read first without the lock: most calls find the review still under way.
  const seen = await deps.repository.get(reviewId);
  if (seen?.state !== 'open' || !isComplete(seen)) return;
  const closed = await withReview(rc, reviewId, async () => {
    const review = await deps.repository.get(reviewId);
    if (review?.state !== 'open' || !isComplete(review)) return undefined;
    const now = ctx.clock.now().toISOString();
    const done = await saveReview(
      rc,
      { ...review, state: 'closed', closedAt: now, updatedAt: now },
      entry(rc, reviewId, 'system', 'review-closed', {
        detail: `${review.total} reviewed by ${review.reviewers.join(', ')}`,
      }),
    );
    await deps.repository.setOpen(reviewId, false);
    return done;
  }).catch((error: unknown) => {
    if (isContention(error)) return undefined; // whoever holds the review closes it, or the next sweep
    throw error;
  });
  if (!closed) return;
  await clearOpen(rc, closed);
  // Every row is decided and carried out, so the pages cannot change any more: read them outside the lock.
  const pages: ReviewPage[] = [];
  for (let page = 0; page < closed.pages; page++) {
    const found = await deps.repository.page(reviewId, page);
    if (found) pages.push(found);
  }
  await show(rc, closed);
  try {
    await deps.notifier.closed(closed, summarize(pages));
  } catch (error) {
    ctx.deps.logger?.error({ err: error, reviewId }, 'could not post an access review’s summary');
  }
}

/** Moves one review message to another page of rows. */
export async function showPage(
  rc: ReviewContext,
  input: { reviewId: string; channel: string; ts: string; page: number },
): Promise<{ kind: 'shown' } | { kind: 'not-found' } | { kind: 'busy' }> {
  const { deps } = rc;
  let moved: { review: Review; message: ReviewMessage } | undefined;
  try {
    moved = await withReview(rc, input.reviewId, async () => {
      const review = await deps.repository.get(input.reviewId);
      if (!review || input.page < 0 || input.page >= review.pages) return undefined;
      const index = review.messages.findIndex((m) => m.channel === input.channel && m.ts === input.ts);
      if (index < 0) return undefined;
      const messages = review.messages.map((m, i) => (i === index ? { ...m, page: input.page } : m));
      const saved = await deps.repository.save({ ...review, messages });
      return { review: saved, message: messages[index]! };
    });
  } catch (error) {
    if (isContention(error)) return { kind: 'busy' };
    throw error;
  }
  if (!moved) return { kind: 'not-found' };
  const page = await deps.repository.page(input.reviewId, input.page);
  if (page) await draw(rc, moved.review, [{ message: moved.message, page }]);
  return { kind: 'shown' };
}

/**
 * The review sweep: rows whose request ended (or never came to be) are settled, quiet reviews are recounted from
 * their pages, reviewers are reminded once after `remindAfterMs`, and scheduled reviews start. Each step is safe to
 * run on every replica at once: it acts under the review's (or the WABA's) lock on what is stored.
 */
export async function sweepReviews(rc: ReviewContext): Promise<void> {
  const { ctx, deps } = rc;
  for (const id of await deps.repository.openIds()) {
    try {
      const review = await deps.repository.get(id);
      if (review?.state !== 'open') {
        await deps.repository.setOpen(id, false);
        continue;
      }
      await settleWorking(rc, review);
      await recount(rc, id);
      await closeIfComplete(rc, id);
      await remind(rc, id);
    } catch (error) {
      ctx.deps.logger?.error({ err: error, reviewId: id }, 'review sweep failed for one review');
    }
  }
  await startScheduled(rc);
}

async function settleWorking(rc: ReviewContext, review: Review): Promise<void> {
  const { ctx } = rc;
  for (const work of review.working) {
    const request = await ctx.deps.repository.get(work.requestId);
    const abandoned = !request && ctx.clock.now().getTime() - new Date(work.since).getTime() > ctx.leaseMs;
    if ((request && isFinal(request)) || abandoned) await settle(rc, review.id, work, request);
  }
}

/**
 * Counts a quiet review's decided rows again from its pages, and finds rows still being carried out: a process that
 * stopped between writing a page and its header leaves the header behind, and nothing else would correct it.
 */
async function recount(rc: ReviewContext, reviewId: string): Promise<void> {
  const { ctx, deps } = rc;
  const seen = await deps.repository.get(reviewId);
  if (!seen || seen.checkedVersion === seen.version) return;
  if (ctx.clock.now().getTime() - new Date(seen.updatedAt).getTime() < QUIET_MS) return;
  await withReview(rc, reviewId, async () => {
    const review = await deps.repository.get(reviewId);
    if (review?.state !== 'open' || review.version !== seen.version) return;
    const decidedByPage: number[] = [];
    const working: WorkingRow[] = [];
    for (let number = 0; number < review.pages; number++) {
      if (number % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
      const page = await deps.repository.page(reviewId, number);
      decidedByPage.push(page ? decidedIn(page) : 0);
      page?.rows.forEach((row, index) => {
        const decision = row.decision;
        if (!inProgress(decision)) return;
        const known = review.working.find((work) => work.requestId === decision.requestId);
        working.push(known ?? { page: number, index, requestId: decision.requestId, since: decision.at });
      });
    }
    const changed =
      decidedByPage.some((count, page) => count !== review.decidedByPage[page]) ||
      working.length !== review.working.length;
    await saveReview(
      rc,
      { ...review, decidedByPage, working, checkedVersion: (review.version ?? 0) + 1 },
      changed ? entry(rc, reviewId, 'system', 'recounted', { detail: 'counts corrected from the pages' }) : undefined,
    );
  });
}

/** Reminds the account's approvers, once, of a review open longer than `remindAfterMs`. */
async function remind(rc: ReviewContext, reviewId: string): Promise<void> {
  const { ctx, deps } = rc;
  const after = ctx.deps.remindAfterMs;
  if (after === undefined) return;
  const isDue = (review: Review | undefined): review is Review =>
    review?.state === 'open' &&
    !review.remindedAt &&
    new Date(review.startedAt).getTime() + after <= ctx.clock.now().getTime();
  if (!isDue(await deps.repository.get(reviewId))) return;
  // Marked under the review's lock before anyone is told: one process reminds, once.
  const due = await withReview(rc, reviewId, async () => {
    const review = await deps.repository.get(reviewId);
    if (!isDue(review)) return undefined;
    const now = ctx.clock.now().toISOString();
    return saveReview(
      rc,
      { ...review, remindedAt: now },
      entry(rc, reviewId, 'system', 'reminded', { detail: 'the account’s approvers' }),
    );
  });
  if (!due) return;
  const approvers = (await ctx.deps.accounts.forWaba(due.wabaId)?.approvers.approverUserIds()) ?? [];
  try {
    await deps.notifier.remind(due, approvers);
  } catch (error) {
    ctx.deps.logger?.warn({ err: error, reviewId }, 'could not remind reviewers');
  }
}

/**
 * After a scheduled start failed on a WABA (Meta or Slack down), this process waits before trying again: 5 minutes,
 * doubling with each failure in a row up to 6 hours, since each try reads the whole roster from Meta's budget.
 */
const SCHEDULE_RETRY_MS = 5 * 60_000;
const SCHEDULE_RETRY_MAX_MS = 6 * 3_600_000;

/** Starts the reviews the schedule says are due: once per interval per WABA, across replicas. */
async function startScheduled(rc: ReviewContext): Promise<void> {
  const { ctx, deps } = rc;
  const every = deps.everyMs;
  if (every === undefined) return;
  const now = ctx.clock.now().getTime();
  const due = (current: WabaReviews) =>
    !current.lastStartedAt || new Date(current.lastStartedAt).getTime() + every <= ctx.clock.now().getTime();
  for (const account of ctx.deps.accounts.list()) {
    const wabaId = account.policy.wabaId;
    const retry = rc.retryScheduledAt.get(wabaId);
    if (retry && retry.at > now) continue;
    // Meta asked to slow down: a roster read now would only extend its hold.
    if (account.waba.budget().heldUntil > now) continue;
    const current = await deps.repository.wabaReviews(wabaId);
    if (current.openReviewId || !due(current)) continue;
    const failed = (why: unknown) => {
      const failures = (retry?.failures ?? 0) + 1;
      const waitMs = Math.min(SCHEDULE_RETRY_MAX_MS, SCHEDULE_RETRY_MS * 2 ** (failures - 1));
      rc.retryScheduledAt.set(wabaId, { at: now + waitMs, failures });
      ctx.deps.logger?.warn({ err: why, wabaId, retryInMs: waitMs }, 'could not start a scheduled review');
    };
    try {
      const result = await open(rc, account, 'system', { waitMs: 0, due });
      if (result.kind === 'not-posted') failed(new Error('the review could not be posted'));
      else rc.retryScheduledAt.delete(wabaId);
      if (result.kind === 'started') ctx.deps.logger?.info({ reviewId: result.review.id, wabaId }, 'scheduled review');
    } catch (error) {
      failed(error);
    }
  }
}

/** Redraws every message of a review at the page it shows. A failure is logged, never thrown: the state is saved. */
async function show(rc: ReviewContext, review: Review): Promise<void> {
  const views: Array<{ message: ReviewMessage; page: ReviewPage }> = [];
  const pages = new Map<number, ReviewPage | undefined>();
  for (const number of pagesShown(review)) pages.set(number, await rc.deps.repository.page(review.id, number));
  for (const message of review.messages) {
    const page = pages.get(message.page);
    if (page) views.push({ message, page });
  }
  if (views.length > 0) await draw(rc, review, views);
}

async function draw(rc: ReviewContext, review: Review, views: Array<{ message: ReviewMessage; page: ReviewPage }>) {
  try {
    await rc.deps.notifier.show(review, views);
  } catch (error) {
    rc.ctx.deps.logger?.warn({ err: error, reviewId: review.id }, 'could not update an access review message');
  }
}

/** The header with one page's count taken from that page as stored. */
function countedPage(review: Review, page: ReviewPage): Review {
  const decidedByPage = review.decidedByPage.slice();
  decidedByPage[page.page] = decidedIn(page);
  return { ...review, decidedByPage };
}

function replaceRow(page: ReviewPage, index: number, row: ReviewRow): ReviewPage {
  return { ...page, rows: page.rows.map((other, i) => (i === index ? row : other)) };
}

function withReview<T>(rc: ReviewContext, reviewId: string, fn: () => Promise<T>): Promise<T> {
  return rc.ctx.deps.locker.withLock(reviewLock(reviewId), fn, REVIEW_LOCK);
}

/** An audit entry for a review, to be written with the change it records. */
function entry(
  rc: ReviewContext,
  reviewId: string,
  actor: string,
  event: ReviewAuditEntry['event'],
  extra: { userId?: string; detail?: string } = {},
): ReviewAuditEntry {
  return { reviewId, at: rc.ctx.clock.now().toISOString(), actor, event, ...extra };
}

/** Writes a review's header, and logs its audit entry once it is stored. */
async function saveReview(rc: ReviewContext, review: Review, audit?: ReviewAuditEntry): Promise<Review> {
  const saved = await rc.deps.repository.save(review, audit);
  if (audit) rc.ctx.deps.logger?.info({ audit }, `review ${audit.reviewId} ${audit.event}`);
  return saved;
}

/** Writes a page of rows, and logs its audit entry once it is stored. */
async function savePage(rc: ReviewContext, page: ReviewPage, audit?: ReviewAuditEntry): Promise<ReviewPage> {
  const saved = await rc.deps.repository.savePage(page, audit);
  if (audit) rc.ctx.deps.logger?.info({ audit }, `review ${audit.reviewId} ${audit.event}`);
  return saved;
}
