import type { RetryRefusal } from '../outcomes.js';
import type { RefusalReason } from '../policy.js';
import { isContention } from '../ports.js';
import {
  type AccessRequest,
  approvalsOf,
  approvalsRequired,
  approve,
  deny,
  type Executing,
  expire,
  hasApproved,
  isOverdue,
  type Pending,
  startExecution,
} from '../request.js';
import type { UseCaseContext } from './context.js';
import { notify } from './execution.js';
import { withoutVotesOf } from './interest.js';

export type DecideResult =
  | { kind: 'done'; request: AccessRequest }
  /** An approval was recorded; the request waits for more (see `approvalsRequired`). */
  | { kind: 'progress'; request: Pending }
  /** This approver had already approved; an approver counts once. */
  | { kind: 'duplicate'; request: Pending }
  | {
      kind: 'forbidden';
      reason: RefusalReason;
      request: AccessRequest;
      /** Who may decide it instead. */
      approverIds: readonly string[];
    }
  /** The request's account is no longer configured, so nobody may decide it. */
  | { kind: 'unconfigured'; request: AccessRequest }
  /**
   * A failed request that may not be sent again: its Retry window has closed (it expired), or the policy no longer
   * allows it as approved (a task taken off the account, or more approvals needed now).
   */
  | { kind: 'retry-refused'; request: AccessRequest; refusal: RetryRefusal }
  | { kind: 'already'; request: AccessRequest }
  | { kind: 'not-found' }
  | { kind: 'busy' };

export interface DecideInput {
  requestId: string;
  actorId: string;
  decision: 'approve' | 'deny';
  reason?: string;
}

/** Whether `actorId` may approve or deny request `id`, without changing it. */
export async function verdict(
  ctx: UseCaseContext,
  id: string,
  actorId: string,
): Promise<DecideResult | { kind: 'allowed'; request: AccessRequest }> {
  const request = await ctx.deps.repository.get(id);
  if (!request) return { kind: 'not-found' };
  if (request.state !== 'pending') return { kind: 'already', request };
  return mayDecide(ctx, request, actorId);
}

/** Whether `actorId` may decide `request` under its account's approvers, and stands to gain nothing from it. */
export async function mayDecide(
  ctx: UseCaseContext,
  request: AccessRequest,
  actorId: string,
): Promise<
  Extract<DecideResult, { kind: 'forbidden' | 'unconfigured' }> | { kind: 'allowed'; request: AccessRequest }
> {
  const account = ctx.deps.accounts.forWaba(request.wabaId);
  if (!account) return { kind: 'unconfigured', request };
  const interest = await ctx.interest.of(request, actorId);
  const allowed = interest
    ? { allowed: false as const, reason: interest }
    : await account.approvers.canDecide(request, actorId);
  if (allowed.allowed) return { kind: 'allowed', request };
  return { kind: 'forbidden', reason: allowed.reason, request, approverIds: account.policy.approverIds };
}

/**
 * Approves or denies. Concurrent clicks, in this process or another replica, are serialised by the request's
 * lock: exactly one moves it out of pending, and only that one calls Graph.
 */
export async function decide(ctx: UseCaseContext, input: DecideInput): Promise<DecideResult> {
  const check = await verdict(ctx, input.requestId, input.actorId);
  if (check.kind !== 'allowed') return check;

  let claimed: { kind: 'executing'; request: Executing } | DecideResult;
  try {
    claimed = await ctx.writer.withLock(input.requestId, () => decideLocked(ctx, input));
  } catch (error) {
    if (isContention(error)) return { kind: 'busy' };
    throw error;
  }

  if (claimed.kind === 'executing') return { kind: 'done', request: await ctx.execute(claimed.request) };
  if (
    claimed.kind === 'done' ||
    claimed.kind === 'progress' ||
    (claimed.kind === 'already' && claimed.request.state === 'expired')
  ) {
    await notify(ctx, claimed.request);
  }
  return claimed;
}

/** The decision, made on the request as stored, under its lock. */
async function decideLocked(
  ctx: UseCaseContext,
  input: DecideInput,
): Promise<{ kind: 'executing'; request: Executing } | DecideResult> {
  const { writer } = ctx;
  const request = await ctx.deps.repository.get(input.requestId);
  if (!request) return { kind: 'not-found' };
  if (request.state !== 'pending') return { kind: 'already', request };
  // Checked again on the request as stored, under its lock: a link made, or an approver removed, since the click was
  // first checked decides as it stands now.
  const allowed = await mayDecide(ctx, request, input.actorId);
  if (allowed.kind !== 'allowed') return allowed;
  const now = ctx.clock.now();
  if (isOverdue(request, now)) {
    return { kind: 'already', request: await writer.persist(expire(request, now), 'system') };
  }
  if (input.decision === 'deny') {
    const denied = await writer.persist(deny(request, input.actorId, now, input.reason), input.actorId, input.reason);
    return { kind: 'done', request: denied };
  }
  if (hasApproved(request, input.actorId)) return { kind: 'duplicate', request };
  const asMetaUser = await ctx.interest.metaIdOf(input.actorId);
  if (await ctx.interest.approvedAlreadyAs(request, asMetaUser)) {
    const approverIds = ctx.deps.accounts.forWaba(request.wabaId)?.policy.approverIds ?? [];
    return { kind: 'forbidden', reason: 'same-person', request, approverIds };
  }
  // A vote for oneself does not count, whenever the link that makes it one was made.
  const interested = await ctx.interest.interestedVoters(request);
  if (interested.size > 0) await writer.audit(request, 'system', 'approval-set-aside', [...interested].join(', '));
  const approved = approve(withoutVotesOf(request, interested, now), input.actorId, now, asMetaUser);
  if (approved.state === 'pending') {
    const progress = `${approvalsOf(approved).length} of ${approvalsRequired(approved)}`;
    const recorded = await writer.save(approved, {
      actor: input.actorId,
      event: 'approval-recorded',
      detail: progress,
    });
    return { kind: 'progress', request: recorded };
  }
  const stored = await writer.persist(approved, input.actorId);
  const executing = await writer.persist(startExecution(stored, now, ctx.leaseMs, ctx.instanceId), 'system');
  return { kind: 'executing', request: executing };
}
