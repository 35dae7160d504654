import { isContention, TransitionConflictError } from '../../ports.js';
import { isComplete, type Review, type ReviewPage, summarize, type WabaReviews } from '../../review.js';
import { entry, type ReviewContext, saveReview, withReview } from './context.js';
import { show } from './show.js';

/** Closing a review once every row is decided and carried out, with its summary; and the WABA's open-review mark. */
/** Closes a review whose rows are all decided and carried out, and posts its summary (once: the close is a write). */
export async function closeIfComplete(rc: ReviewContext, reviewId: string): Promise<void> {
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

/** Marks the WABA as having no open review, when `review` is the one it has; `restore` puts back its last start. */
export async function clearOpen(
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

export function withoutOpen({ openReviewId: _open, ...rest }: WabaReviews): WabaReviews {
  return rest;
}
