import { isContention } from '../../ports.js';
import { pagesShown, type Review, type ReviewMessage, type ReviewPage } from '../../review.js';
import { type ReviewContext, withReview } from './context.js';

/** Showing a review: its messages redrawn at the pages they show, and paging one message. */
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

/** Redraws every message of a review at the page it shows. A failure is logged, never thrown: the state is saved. */
export async function show(rc: ReviewContext, review: Review): Promise<void> {
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
