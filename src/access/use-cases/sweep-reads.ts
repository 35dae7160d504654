import type { AccessRequest } from '../request.js';
import type { UseCaseContext } from './context.js';

/** Requests a sweep reads before it lets waiting work run. */
const SWEEP_BATCH = 20;

/**
 * Requests for a sweep, read without their locks (a sweep re-reads under the lock before it acts). Sweeps are
 * background work: they pause every few requests so acks for people waiting are not held up behind them.
 */
export async function* requestsIn(
  ctx: UseCaseContext,
  ids: readonly string[],
): AsyncGenerator<{ id: string; request?: AccessRequest }> {
  let read = 0;
  for (const id of ids) {
    if (++read % SWEEP_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
    yield { id, request: await ctx.deps.repository.get(id) };
  }
}

/** Open requests for a sweep (see `requestsIn`). */
export async function* openRequests(ctx: UseCaseContext): AsyncGenerator<{ id: string; request?: AccessRequest }> {
  yield* requestsIn(ctx, await ctx.deps.repository.openIds());
}
