import { type AccessRequest, type ExecutionError, isFinal } from '../../request.js';
import type { Review, ReviewRow, RowDecision, WorkingRow } from '../../review.js';
import { closeIfComplete } from './close.js';
import { countedPage, entry, inProgress, type ReviewContext, replaceRow, savePage, withReview } from './context.js';
import { show } from './show.js';

/**
 * Brings a row whose decision was being carried out up to date with its request: removed, made temporary, or (the
 * request failed, or never came to be) open again with why. Also heals the header's count and work list.
 */
export async function settle(
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
export async function settledRow(
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
