import type { RetryRefusal } from '../outcomes.js';
import { approvalsNeeded } from '../policy.js';
import { isContention } from '../ports.js';
import {
  type AccessRequest,
  approvalsOf,
  type Executing,
  type Failed,
  retry as retried,
  startExecution,
} from '../request.js';
import { accountOf, type UseCaseContext } from './context.js';
import { type DecideResult, mayDecide } from './decide.js';

/** An approver sends a failed request to Graph once more, when the rules in force now still allow it. */
export async function retry(ctx: UseCaseContext, input: { requestId: string; actorId: string }): Promise<DecideResult> {
  const request = await ctx.deps.repository.get(input.requestId);
  if (!request) return { kind: 'not-found' };
  if (request.state !== 'failed') return { kind: 'already', request };
  const allowed = await mayDecide(ctx, request, input.actorId);
  if (allowed.kind !== 'allowed') return allowed;
  const refusal = retryRefusal(ctx, request);
  if (refusal) return { kind: 'retry-refused', request, refusal };
  let executing: Executing | undefined;
  try {
    executing = await ctx.writer.withLock(input.requestId, async () => {
      const latest = await ctx.deps.repository.get(input.requestId);
      if (latest?.state !== 'failed') return undefined;
      const now = ctx.clock.now();
      const approved = await ctx.writer.persist(retried(latest, input.actorId, now), input.actorId, 'retry');
      return ctx.writer.persist(startExecution(approved, now, ctx.leaseMs, ctx.instanceId), 'system');
    });
  } catch (error) {
    if (isContention(error)) return { kind: 'busy' };
    throw error;
  }
  if (!executing) {
    const latest: AccessRequest | undefined = await ctx.deps.repository.get(input.requestId);
    return latest ? { kind: 'already', request: latest } : { kind: 'not-found' };
  }
  return { kind: 'done', request: await ctx.execute(executing) };
}

/** Why a failed request may not be sent again under the policy in force now, if it may not. */
function retryRefusal(ctx: UseCaseContext, request: Failed): RetryRefusal | undefined {
  const ttlMs = ctx.deps.requestTtlMs;
  if (new Date(request.finishedAt).getTime() + ttlMs <= ctx.clock.now().getTime())
    return { kind: 'retry-window-passed', ttlMs };
  const { policy } = accountOf(ctx, request.wabaId);
  const gives = request.kind === 'revoke' ? [] : request.tasks;
  const barred = request.kind === 'grant' ? gives.filter((task) => !policy.tasks.includes(task)) : [];
  if (barred.length > 0)
    return { kind: 'tasks-withdrawn', account: policy.alias, tasks: barred, allowed: policy.tasks };
  const needed = approvalsNeeded(policy.approvals, gives);
  const had = approvalsOf(request).length;
  return needed > had ? { kind: 'more-approvals-needed', needed, had } : undefined;
}
