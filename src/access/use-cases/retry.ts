import type { RetryRefusal } from '../outcomes.js';
import { approvalsNeeded } from '../policy.js';
import { isContention } from '../ports.js';
import {
  type AccessRequest,
  approvalsOf,
  type Executing,
  type Expired,
  expireUnretried,
  type Failed,
  isRetryOverdue,
  retry as retried,
  retryDeadline,
  startExecution,
} from '../request.js';
import { accountOf, type UseCaseContext } from './context.js';
import { type DecideResult, mayDecide } from './decide.js';
import { notify } from './execution.js';

/** An approver sends a failed request to Graph once more, when the rules in force now still allow it. */
export async function retry(ctx: UseCaseContext, input: { requestId: string; actorId: string }): Promise<DecideResult> {
  const request = await ctx.deps.repository.get(input.requestId);
  if (!request) return { kind: 'not-found' };
  if (request.state !== 'failed' && !expiredUnretried(request)) return { kind: 'already', request };
  const allowed = await mayDecide(ctx, request, input.actorId);
  if (allowed.kind !== 'allowed') return allowed;
  const closed = await windowClosed(ctx, request);
  if (closed) return closed;
  const refusal = request.state === 'failed' ? policyRefusal(ctx, request) : undefined;
  if (refusal) return { kind: 'retry-refused', request, refusal };
  let executing: Executing | undefined;
  try {
    executing = await ctx.writer.withLock(input.requestId, async () => {
      const latest = await ctx.deps.repository.get(input.requestId);
      const now = ctx.clock.now();
      if (latest?.state !== 'failed' || isRetryOverdue(latest, now, ctx.deps.requestTtlMs)) return undefined;
      const approved = await ctx.writer.persist(retried(latest, input.actorId, now), input.actorId, 'retry');
      return ctx.writer.persist(startExecution(approved, now, ctx.leaseMs, ctx.instanceId), 'system');
    });
  } catch (error) {
    if (isContention(error)) return { kind: 'busy' };
    throw error;
  }
  if (!executing) {
    const latest: AccessRequest | undefined = await ctx.deps.repository.get(input.requestId);
    if (!latest) return { kind: 'not-found' };
    return (await windowClosed(ctx, latest)) ?? { kind: 'already', request: latest };
  }
  return { kind: 'done', request: await ctx.execute(executing) };
}

/**
 * Expires failed request `id` once its Retry window has closed: under its lock, from the version read there, and
 * tells people as any change does (its message loses Retry). Undefined when it was not due, or someone else moved it
 * on first.
 */
export async function expireIfUnretried(ctx: UseCaseContext, id: string): Promise<Expired | undefined> {
  const ttlMs = ctx.deps.requestTtlMs;
  const expired = await ctx.writer.withRequestLock(id, async () => {
    const request = await ctx.deps.repository.get(id);
    const now = ctx.clock.now();
    if (!isRetryOverdue(request, now, ttlMs)) return undefined;
    return ctx.writer.persist(expireUnretried(request, now, ttlMs), 'system', 'not retried in time');
  });
  if (expired) await notify(ctx, expired);
  return expired;
}

/** Whether a request expired because nobody retried its failure in time. */
function expiredUnretried(request: AccessRequest): request is Expired & { failure: NonNullable<Expired['failure']> } {
  return request.state === 'expired' && request.failure !== undefined;
}

/**
 * The refusal of a Retry that came too late. A request whose window closed before the sweep reached it is expired
 * here and now, so the click also takes its Retry button away.
 */
async function windowClosed(ctx: UseCaseContext, request: AccessRequest): Promise<DecideResult | undefined> {
  const passed = (until: Date | string, shown: AccessRequest): DecideResult => ({
    kind: 'retry-refused',
    request: shown,
    refusal: { kind: 'retry-window-passed', until: new Date(until).toISOString() },
  });
  if (expiredUnretried(request)) return passed(request.failure.retryUntil, request);
  if (!isRetryOverdue(request, ctx.clock.now(), ctx.deps.requestTtlMs)) return undefined;
  const expired = await expireIfUnretried(ctx, request.id);
  return passed(retryDeadline(request, ctx.deps.requestTtlMs), expired ?? request);
}

/** Why a failed request may not be sent again under the policy in force now, if it may not. */
function policyRefusal(ctx: UseCaseContext, request: Failed): RetryRefusal | undefined {
  const { policy } = accountOf(ctx, request.wabaId);
  const gives = request.kind === 'revoke' ? [] : request.tasks;
  const barred = request.kind === 'grant' ? gives.filter((task) => !policy.tasks.includes(task)) : [];
  if (barred.length > 0)
    return { kind: 'tasks-withdrawn', account: policy.alias, tasks: barred, allowed: policy.tasks };
  const needed = approvalsNeeded(policy.approvals, gives);
  const had = approvalsOf(request).length;
  return needed > had ? { kind: 'more-approvals-needed', needed, had } : undefined;
}
