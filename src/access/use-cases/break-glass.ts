import { GLOBAL_CHAIN } from '../../audit/chain.js';
import { isUnknownAccount, resolveAccount } from '../accounts.js';
import type { TemporaryGrant } from '../grants.js';
import type { SubmitRefusal } from '../outcomes.js';
import type { RefusalReason } from '../policy.js';
import {
  type AccessRequest,
  approveAsEmergency,
  awaitsReview,
  type BreakGlassReview,
  type ExecutionError,
  isFinal,
  startExecution,
} from '../request.js';
import { checkBreakGlass } from '../rules.js';
import type { Task } from '../tasks.js';
import type { UseCaseContext } from './context.js';
import { toExecutionError } from './execution.js';
import { newRequest } from './submit.js';
import { requestsIn } from './sweep-reads.js';

/**
 * Where refused break-glass attempts are audited besides their account's chain: they make no request of their own.
 * One log a day (UTC), so anyone typing refused attempts cannot grow one record without bound.
 */
export function breakGlassTrail(at: Date): string {
  return `break-glass:${at.toISOString().slice(0, 10)}`;
}

export interface BreakGlassInput {
  /** The account's alias; unset: the default account. */
  account?: string;
  userId: string;
  targetSlackId?: string;
  tasks: Task[];
  reason?: string;
  /** How long the emergency grant lasts; unset: the longest allowed. */
  duration?: number | 'permanent';
  requesterId: string;
  channelId: string;
}

/** Break-glass carried out (or refused by Meta: the request says), or why nothing happened. */
export type BreakGlassResult = { kind: 'carried-out'; request: AccessRequest; grant?: TemporaryGrant } | SubmitRefusal;

/**
 * Break-glass: someone listed for it gives access at once, without approval. The approvers are told at once, the
 * change reaches Meta through the same path as an approved grant (one fresh read of the person, one write; exactly
 * once, resumed after a crash), the access ends on its own like any temporary grant, and an approver other than its
 * user and the person it is for reviews it afterwards. Anything the rules do not allow changes nothing, and is audited.
 */
export async function breakGlass(ctx: UseCaseContext, input: BreakGlassInput): Promise<BreakGlassResult> {
  const draft = {
    kind: 'grant' as const,
    tasks: input.tasks,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.duration === undefined ? {} : { duration: input.duration }),
    requesterId: input.requesterId,
    channelId: input.channelId,
  };
  const rules = await checkBreakGlass(ctx.deps.accounts, input.account, draft);
  if (rules.kind === 'problems') {
    const refusal = rules.problems[0]!.problem;
    await refused(ctx, input, refusal.kind);
    return refusal;
  }
  const { account, durationMs } = rules;
  const asked = newRequest(ctx, {
    kind: 'grant',
    wabaId: account.waba.wabaId,
    accountAlias: account.policy.alias,
    targetUserId: input.userId,
    ...(input.targetSlackId ? { targetSlackId: input.targetSlackId } : {}),
    tasks: input.tasks,
    // Not read before: the write reads the person afresh, and an emergency waits for nothing it need not.
    currentTasks: null,
    afterTasks: input.tasks,
    requesterId: input.requesterId,
    originChannelId: input.channelId,
    reason: input.reason!.trim(),
    durationMs,
    emergency: {},
  });
  if ((await ctx.interest.possibleApprovers(asked, account)).length === 0) {
    await refused(ctx, input, 'no-reviewer');
    return { kind: 'no-reviewer', account: account.policy.alias };
  }
  const executing = await ctx.writer.withLock(asked.id, async () => {
    const approved = await ctx.writer.persist(
      approveAsEmergency(asked, ctx.clock.now()),
      input.requesterId,
      `break-glass, carried out without approval: ${asked.reason}`,
    );
    await ctx.deps.repository.setAwaitingReview(approved.id, true);
    const announced = await announceBreakGlass(ctx, approved);
    return ctx.writer.persist(startExecution(announced, ctx.clock.now(), ctx.leaseMs, ctx.instanceId), 'system');
  });
  ctx.deps.logger?.warn(
    { requestId: asked.id, by: input.requesterId, wabaId: asked.wabaId, userId: input.userId, tasks: input.tasks },
    'break-glass used',
  );
  const request = await ctx.execute(executing);
  const grant = request.state === 'succeeded' ? await ctx.deps.repository.getGrant(request.id) : undefined;
  return { kind: 'carried-out', request, ...(grant ? { grant } : {}) };
}

/**
 * Tells the approvers of a break-glass use, under the request's lock and before it is carried out (also when a
 * process that stopped before telling them is resumed). Slack failing must not hold up the emergency: it is logged
 * and audited, and the reminder to review it follows all the same.
 */
export async function announceBreakGlass<T extends AccessRequest>(ctx: UseCaseContext, request: T): Promise<T> {
  try {
    const messages = await ctx.deps.notifier.announceEmergency(request);
    return await ctx.writer.save(
      { ...request, approvalMessages: messages },
      { actor: 'system', event: 'announced', detail: `break-glass, ${messages.length} message(s)` },
    );
  } catch (error) {
    ctx.deps.logger?.error({ err: error, requestId: request.id }, 'could not announce a break-glass use');
    await ctx.writer.audit(request, 'system', 'notify-failed', error instanceof Error ? error.message : String(error));
    return request;
  }
}

/** A refused attempt changes nothing, and is audited and logged all the same. */
async function refused(ctx: UseCaseContext, input: BreakGlassInput, why: string): Promise<void> {
  const what = `${why}: ${input.tasks.join(',') || 'no tasks'} for ${input.userId} on ${input.account ?? 'the default account'}`;
  ctx.deps.logger?.warn({ by: input.requesterId, why, userId: input.userId }, 'break-glass refused');
  // The refused attempt goes to the chain of the account it named (the global chain when it named none known).
  const account = resolveAccount(ctx.deps.accounts, input.account);
  const wabaId = isUnknownAccount(account) ? GLOBAL_CHAIN : account.policy.wabaId;
  await ctx.writer.audit(
    { id: breakGlassTrail(ctx.clock.now()), wabaId },
    input.requesterId,
    'break-glass-refused',
    what,
  );
}

/** How a review went, or why it was not recorded. */
export type ReviewResult =
  | {
      kind: 'reviewed';
      request: AccessRequest;
      grant?: TemporaryGrant;
      /** Revoke now was recorded, but the access could not be ended (Meta refused, or did not answer): it still runs. */
      revokeFailed?: ExecutionError;
    }
  | {
      kind: 'forbidden';
      /** `own-request`: the reviewer is the one who used break-glass. */
      reason: Extract<RefusalReason, 'own-request' | 'beneficiary' | 'not-approver'>;
      request: AccessRequest;
      approverIds: readonly string[];
    }
  | { kind: 'already-reviewed'; request: AccessRequest; review: BreakGlassReview }
  | { kind: 'unconfigured'; request: AccessRequest }
  | { kind: 'not-found' }
  | { kind: 'busy' };

/**
 * An approver reviews a break-glass use after the fact: it looks right, or the access is revoked now (ending it as
 * expiry would). The person who used it and the person it is for may not review it; it is reviewed once.
 */
export async function reviewBreakGlass(
  ctx: UseCaseContext,
  input: { requestId: string; actorId: string; verdict: BreakGlassReview['verdict'] },
): Promise<ReviewResult> {
  const seen = await ctx.deps.repository.get(input.requestId);
  if (!seen?.emergency) return { kind: 'not-found' };
  if (seen.emergency.review) return { kind: 'already-reviewed', request: seen, review: seen.emergency.review };
  const refusal = await mayReview(ctx, seen, input.actorId);
  if (refusal) return refusal;
  const recorded: ReviewResult = (await ctx.writer.withRequestLock(input.requestId, async (): Promise<ReviewResult> => {
    const request = await ctx.deps.repository.get(input.requestId);
    if (!request?.emergency) return { kind: 'not-found' };
    if (request.emergency.review) return { kind: 'already-reviewed', request, review: request.emergency.review };
    // Still being carried out: the review waits for its outcome.
    if (!isFinal(request)) return { kind: 'busy' };
    const again = await mayReview(ctx, request, input.actorId);
    if (again) return again;
    const at = ctx.clock.now().toISOString();
    const review: BreakGlassReview = { by: input.actorId, at, verdict: input.verdict };
    const saved = await ctx.writer.save(
      { ...request, emergency: { ...request.emergency, review }, updatedAt: at },
      { actor: input.actorId, event: 'break-glass-reviewed', detail: input.verdict },
    );
    await ctx.deps.repository.setAwaitingReview(request.id, false);
    return { kind: 'reviewed', request: saved };
  })) ?? { kind: 'busy' };
  if (recorded.kind !== 'reviewed') return recorded;
  let grant = await ctx.deps.repository.getGrant(recorded.request.id);
  let revokeFailed: ExecutionError | undefined;
  if (input.verdict === 'revoked' && grant?.state === 'active') {
    try {
      const ended = await ctx.temporary.end(grant.id, input.actorId, 'review');
      grant = ended.grant ?? grant;
    } catch (error) {
      // The review stands; the access runs on, and its Revoke now (shown with the review) tries again.
      ctx.deps.logger?.error(
        { err: error, requestId: recorded.request.id },
        'could not revoke a reviewed break-glass use',
      );
      revokeFailed = toExecutionError(error);
      grant = (await ctx.deps.repository.getGrant(recorded.request.id)) ?? grant;
    }
  }
  try {
    await ctx.deps.notifier.emergencyReviewed(recorded.request, grant);
  } catch (error) {
    ctx.deps.logger?.error({ err: error, requestId: recorded.request.id }, 'could not tell Slack about a review');
  }
  return { ...recorded, ...(grant ? { grant } : {}), ...(revokeFailed ? { revokeFailed } : {}) };
}

/** Why `actorId` may not review this break-glass use, if they may not. */
async function mayReview(
  ctx: UseCaseContext,
  request: AccessRequest,
  actorId: string,
): Promise<Extract<ReviewResult, { kind: 'forbidden' | 'unconfigured' }> | undefined> {
  const account = ctx.deps.accounts.forWaba(request.wabaId);
  if (!account) return { kind: 'unconfigured', request };
  const { approverIds } = account.policy;
  const interest = await ctx.interest.of(request, actorId);
  if (interest) return { kind: 'forbidden', reason: interest, request, approverIds };
  if (!(await account.approvers.isApprover(actorId)))
    return { kind: 'forbidden', reason: 'not-approver', request, approverIds };
  return undefined;
}

/**
 * Reminds approvers, once, of break-glass uses nobody has reviewed within `remindAfterMs`; marked under the
 * request's lock before anyone is told, so one process reminds once. Returns how many it reminded of.
 */
export async function remindUnreviewed(ctx: UseCaseContext): Promise<number> {
  const after = ctx.deps.remindAfterMs;
  if (after === undefined) return 0;
  const isDue = (request: AccessRequest | undefined): request is AccessRequest =>
    request !== undefined &&
    awaitsReview(request) &&
    isFinal(request) &&
    !request.emergency?.remindedAt &&
    Date.parse(request.createdAt) + after <= ctx.clock.now().getTime();
  let count = 0;
  for await (const { id, request: seen } of requestsIn(ctx, await ctx.deps.repository.awaitingReviewIds())) {
    if (!awaitsReview(seen)) {
      await ctx.deps.repository.setAwaitingReview(id, false);
      continue;
    }
    if (!isDue(seen)) continue;
    const due = await ctx.writer.withRequestLock(id, async () => {
      const request = await ctx.deps.repository.get(id);
      if (!isDue(request)) return undefined;
      const now = ctx.clock.now().toISOString();
      return ctx.writer.save({ ...request, emergency: { ...request.emergency, remindedAt: now }, updatedAt: now });
    });
    const account = due && ctx.deps.accounts.forWaba(due.wabaId);
    if (!due || !account) continue;
    const approvers = await ctx.interest.possibleApprovers(due, account);
    try {
      await ctx.deps.notifier.remindReview(due, approvers);
      await ctx.writer.audit(due, 'system', 'break-glass-reminded', `${approvers.length} approver(s)`);
      count++;
    } catch (error) {
      ctx.deps.logger?.warn({ err: error, requestId: id }, 'could not remind approvers of a break-glass review');
    }
  }
  return count;
}
