import type {
  Review,
  ReviewAuditEntry,
  ReviewNotifier,
  ReviewPage,
  ReviewRepository,
  ReviewRow,
  RowDecision,
} from '../../review.js';
import { decidedIn } from '../../review.js';
import type { UseCaseContext } from '../context.js';

// What every review use case shares: its dependencies, the review's lock, how headers, pages and audit are written.

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

const reviewLock = (id: string) => `review:${id}`;
/** A review's lock is held for store reads and writes only, never across a Graph call. */
const REVIEW_LOCK = { waitMs: 10_000 };

/** Whether a decision is still being carried out on Graph. */
export function inProgress(decision: RowDecision | undefined): decision is Exclude<RowDecision, { kind: 'keep' }> {
  return decision?.kind !== 'keep' && (decision?.status === 'removing' || decision?.status === 'applying');
}

/** The header with one page's count taken from that page as stored. */
export function countedPage(review: Review, page: ReviewPage): Review {
  const decidedByPage = review.decidedByPage.slice();
  decidedByPage[page.page] = decidedIn(page);
  return { ...review, decidedByPage };
}

export function replaceRow(page: ReviewPage, index: number, row: ReviewRow): ReviewPage {
  return { ...page, rows: page.rows.map((other, i) => (i === index ? row : other)) };
}

export function withReview<T>(rc: ReviewContext, reviewId: string, fn: () => Promise<T>): Promise<T> {
  return rc.ctx.deps.locker.withLock(reviewLock(reviewId), fn, REVIEW_LOCK);
}

/** An audit entry for a review, to be written with the change it records. */
export function entry(
  rc: ReviewContext,
  reviewId: string,
  actor: string,
  event: ReviewAuditEntry['event'],
  extra: { userId?: string; detail?: string } = {},
): ReviewAuditEntry {
  return { reviewId, at: rc.ctx.clock.now().toISOString(), actor, event, ...extra };
}

/** Writes a review's header, and logs its audit entry once it is stored. */
export async function saveReview(rc: ReviewContext, review: Review, audit?: ReviewAuditEntry): Promise<Review> {
  const saved = await rc.deps.repository.save(review, audit);
  if (audit) rc.ctx.deps.logger?.info({ audit }, `review ${audit.reviewId} ${audit.event}`);
  return saved;
}

/** Writes a page of rows, and logs its audit entry once it is stored. */
export async function savePage(rc: ReviewContext, page: ReviewPage, audit?: ReviewAuditEntry): Promise<ReviewPage> {
  const saved = await rc.deps.repository.savePage(page, audit);
  if (audit) rc.ctx.deps.logger?.info({ audit }, `review ${audit.reviewId} ${audit.event}`);
  return saved;
}
