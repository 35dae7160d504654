import type { Review } from '../../review.js';
import { entry, type ReviewContext, saveReview, withReview } from './context.js';

/** Reminds the account's approvers, once, of a review open longer than `remindAfterMs`. */
export async function remind(rc: ReviewContext, reviewId: string): Promise<void> {
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
