import { type AccessRequest, cancel as canceled } from '../request.js';
import type { UseCaseContext } from './context.js';
import { notify } from './execution.js';

export type CancelResult =
  | { kind: 'done'; request: AccessRequest }
  | { kind: 'not-requester'; request: AccessRequest }
  | { kind: 'already'; request: AccessRequest }
  | { kind: 'not-found' }
  | { kind: 'busy' };

/** The requester withdraws a request nobody has decided yet. */
export async function cancel(
  ctx: UseCaseContext,
  input: { requestId: string; actorId: string },
): Promise<CancelResult> {
  const result: CancelResult = (await ctx.writer.withRequestLock(input.requestId, async () => {
    const request = await ctx.deps.repository.get(input.requestId);
    if (!request) return { kind: 'not-found' } as const;
    if (request.requesterId !== input.actorId) return { kind: 'not-requester', request } as const;
    if (request.state !== 'pending') return { kind: 'already', request } as const;
    const next = canceled(request, input.actorId, ctx.clock.now());
    await ctx.writer.persist(next, input.actorId);
    return { kind: 'done', request: next } as const;
  })) ?? { kind: 'busy' };
  if (result.kind === 'done') await notify(ctx, result.request);
  return result;
}
