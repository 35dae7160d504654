import { isFinal } from '../../request.js';
import { decidedIn, type Review, type WorkingRow } from '../../review.js';
import { closeIfComplete } from './close.js';
import { entry, inProgress, type ReviewContext, saveReview, withReview } from './context.js';
import { remind } from './remind.js';
import { startScheduled } from './schedule.js';
import { settle } from './settle.js';

/** How long a review must have been quiet before its counts are checked against its pages. */
const QUIET_MS = 30_000;

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
