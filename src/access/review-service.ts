import type { RowChoice, RowRef } from './review.js';
import type { UseCaseContext } from './use-cases/context.js';
import type { ReviewContext, ReviewDeps } from './use-cases/review/context.js';
import { type DecideRowResult, decideRow, temporaryCheck } from './use-cases/review/decide-row.js';
import { showPage } from './use-cases/review/show.js';
import { type StartReviewResult, startReview } from './use-cases/review/start.js';
import { sweepReviews } from './use-cases/review/sweep.js';

export type { ReviewDeps } from './use-cases/review/context.js';
export type { DecideRowResult } from './use-cases/review/decide-row.js';
export type { StartReviewResult } from './use-cases/review/start.js';

/** Access reviews, as the rest of the bot asks for them: one method per use case (see use-cases/review/). */
export class ReviewService {
  private readonly rc?: ReviewContext;

  constructor(
    ctx: UseCaseContext,
    deps: ReviewDeps | undefined,
    /** Counts work under way, so a stop waits for it. */
    private readonly track: <T>(work: Promise<T>) => Promise<T>,
  ) {
    if (deps) this.rc = { ctx, deps, retryScheduledAt: new Map() };
  }

  /** Starts a review of an account (the default one without `account`), or points to the one open on it. */
  start(input: { account?: string; actorId: string }): Promise<StartReviewResult> {
    return this.track(startReview(this.context(), input));
  }

  /** Whether this person may make this row temporary, and the longest and shortest they may choose. */
  temporaryCheck(ref: RowRef, actorId: string) {
    return temporaryCheck(this.context(), ref, actorId);
  }

  /** An approver keeps, removes, or makes temporary one person's access. */
  decide(input: { ref: RowRef; actorId: string; choice: RowChoice; durationMs?: number }): Promise<DecideRowResult> {
    return this.track(decideRow(this.context(), input));
  }

  /** Shows another page of rows in one review message. */
  showPage(input: { reviewId: string; channel: string; ts: string; page: number }) {
    return this.track(showPage(this.context(), input));
  }

  /** Settles, recounts, reminds, and starts scheduled reviews; nothing when reviews are not set up. */
  async sweep(): Promise<void> {
    if (this.rc) await this.track(sweepReviews(this.rc));
  }

  private context(): ReviewContext {
    if (!this.rc) throw new Error('Access reviews are not set up: the service was built without a review store.');
    return this.rc;
  }
}

/**
 * Runs the review sweep now and every `intervalMs`, never two at once in this process (a scheduled start reads a
 * whole roster). Returns the function that stops it.
 */
export function startReviewSweeps(
  reviews: ReviewService,
  options: { intervalMs: number; logger: { error(obj: object, msg: string): void } },
): () => void {
  let running = false;
  const sweep = () => {
    if (running) return;
    running = true;
    reviews
      .sweep()
      .catch((error: unknown) => options.logger.error({ err: error }, 'review sweep failed'))
      .finally(() => {
        running = false;
      });
  };
  sweep();
  const timer = setInterval(sweep, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
