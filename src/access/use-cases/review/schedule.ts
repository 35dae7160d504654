import type { WabaReviews } from '../../review.js';
import type { ReviewContext } from './context.js';
import { openReview } from './start.js';

/**
 * After a scheduled start failed on a WABA (Meta or Slack down), this process waits before trying again: 5 minutes,
 * doubling with each failure in a row up to 6 hours, since each try reads the whole roster from Meta's budget.
 */
const SCHEDULE_RETRY_MS = 5 * 60_000;
const SCHEDULE_RETRY_MAX_MS = 6 * 3_600_000;

/** Starts the reviews the schedule says are due: once per interval per WABA, across replicas. */
export async function startScheduled(rc: ReviewContext): Promise<void> {
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
      const result = await openReview(rc, account, 'system', { waitMs: 0, due });
      if (result.kind === 'not-posted') failed(new Error('the review could not be posted'));
      else rc.retryScheduledAt.delete(wabaId);
      if (result.kind === 'started') ctx.deps.logger?.info({ reviewId: result.review.id, wabaId }, 'scheduled review');
    } catch (error) {
      failed(error);
    }
  }
}
