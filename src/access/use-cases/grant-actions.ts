import type { TemporaryGrant } from '../grants.js';
import type { ExtensionRefusal } from '../outcomes.js';
import { type AccessRequest, isFinal } from '../request.js';
import type { EndResult } from '../temporary-access.js';
import { accountOf, type UseCaseContext } from './context.js';
import { file, newRequest, type SubmitResult } from './submit.js';
import { openRequests } from './sweep-reads.js';

/** How a click on a grant's buttons ended: as the grant's end went, or why nothing was done. */
export type GrantActionResult =
  | EndResult
  | { kind: 'forbidden'; reason: 'not-approver' | 'beneficiary'; approverIds: readonly string[] };

/** Why an action on a grant was not taken: it is not live (or its account is gone), or the actor may not. */
export type GrantRefusal = Exclude<GrantActionResult, { kind: 'ended' | 'conflict' }>;

/** The Slack person a grant is for, as a request's `targetSlackId`, when there is one. */
function slackPerson(grant: TemporaryGrant): { targetSlackId?: string } {
  return grant.targetSlackId ? { targetSlackId: grant.targetSlackId } : {};
}

/** An approver ends a temporary grant before its time (the person who holds it may too: access only shrinks). */
export function revokeGrantNow(ctx: UseCaseContext, grantId: string, actorId: string): Promise<GrantActionResult> {
  return asApprover(ctx, grantId, actorId, () => ctx.temporary.end(grantId, actorId), { holderMay: true });
}

/** An approver other than the person concerned settles a conflict found when a grant ended. */
export function resolveConflict(
  ctx: UseCaseContext,
  grantId: string,
  choice: 'restore' | 'keep',
  actorId: string,
): Promise<GrantActionResult> {
  return asApprover(ctx, grantId, actorId, () => ctx.temporary.resolve(grantId, choice, actorId), {
    holderMay: false,
  });
}

/**
 * A live grant `actorId` may ask to extend, or why not. Its requester, the person it is for and the approvers of its
 * account may ask; an extension is a request like any other, so an approver who is neither its asker nor the person
 * it is for decides it.
 */
export async function extendable(
  ctx: UseCaseContext,
  grantId: string,
  actorId: string,
): Promise<{ kind: 'active'; grant: TemporaryGrant } | GrantRefusal> {
  const grant = await ctx.deps.repository.getGrant(grantId);
  const account = grant && ctx.deps.accounts.forWaba(grant.wabaId);
  if (!grant || !account) return { kind: 'not-live', ...(grant ? { grant } : {}) };
  if (!(await asksOrHolds(ctx, grant, actorId)) && !(await account.approvers.isApprover(actorId)))
    return { kind: 'forbidden', reason: 'not-approver', approverIds: account.policy.approverIds };
  if (grant.state !== 'active') return { kind: 'not-live', grant };
  return { kind: 'active', grant };
}

/** Whether `actorId` asked for this grant or holds it (the Slack person it names, or whoever is linked to its user). */
export async function asksOrHolds(ctx: UseCaseContext, grant: TemporaryGrant, actorId: string): Promise<boolean> {
  const about = { requesterId: grant.requesterId, targetUserId: grant.userId, ...slackPerson(grant) };
  return (await ctx.interest.of(about, actorId)) !== undefined;
}

/**
 * Someone who may ask (see `extendable`) asks for a live temporary grant to last `durationMs` longer; it goes
 * through approval like any request.
 */
export async function submitExtension(
  ctx: UseCaseContext,
  input: { grantId: string; durationMs: number; requesterId: string },
): Promise<SubmitResult> {
  const check = await extendable(ctx, input.grantId, input.requesterId);
  if (check.kind !== 'active') return extensionRefusal(check);
  const { grant } = check;
  const waiting = await openExtensionOf(ctx, grant.id);
  if (waiting) return { kind: 'extension-waiting', requestId: waiting.id };
  const account = accountOf(ctx, grant.wabaId);
  const { maxMs } = account.policy.durations;
  const now = ctx.clock.now();
  const endsAt = new Date(grant.endsAt).getTime();
  const totalMs = endsAt + input.durationMs - now.getTime();
  if (totalMs > maxMs) {
    return { kind: 'extension-too-long', totalMs, maxMs, mostMs: Math.max(0, maxMs - (endsAt - now.getTime())) };
  }
  const request = newRequest(ctx, {
    kind: 'extend',
    wabaId: grant.wabaId,
    accountAlias: account.policy.alias,
    targetUserId: grant.userId,
    ...(grant.targetName ? { targetName: grant.targetName } : {}),
    ...slackPerson(grant),
    tasks: grant.tasks,
    currentTasks: grant.tasks,
    afterTasks: grant.tasks,
    requesterId: input.requesterId,
    // The outcome goes where the grant was asked for.
    originChannelId: grant.originChannelId,
    durationMs: input.durationMs,
    grantId: grant.id,
    grantEndsAt: grant.endsAt,
  });
  return file(ctx, request, account);
}

function extensionRefusal(refusal: GrantRefusal): ExtensionRefusal {
  return refusal.kind === 'not-live' ? { kind: 'grant-ended' } : { kind: 'not-approver' };
}

/** An extension of this grant not yet decided or carried out: one at a time, so they cannot stack past the limit. */
async function openExtensionOf(ctx: UseCaseContext, grantId: string): Promise<AccessRequest | undefined> {
  for await (const { request } of openRequests(ctx)) {
    if (request?.kind === 'extend' && request.grantId === grantId && !isFinal(request)) return request;
  }
  return undefined;
}

/** Runs a grant action for an approver of the grant's account. */
async function asApprover(
  ctx: UseCaseContext,
  grantId: string,
  actorId: string,
  action: () => Promise<EndResult>,
  who: { holderMay: boolean },
): Promise<GrantActionResult> {
  const check = await grantForApprover(ctx, grantId, actorId, who);
  return check.kind === 'allowed' ? action() : check;
}

/**
 * The grant, when `actorId` approves on its account (and, unless `holderMay`, is not the person who holds it);
 * why not, otherwise.
 */
async function grantForApprover(
  ctx: UseCaseContext,
  grantId: string,
  actorId: string,
  { holderMay }: { holderMay: boolean },
): Promise<{ kind: 'allowed'; grant: TemporaryGrant } | GrantRefusal> {
  const grant = await ctx.deps.repository.getGrant(grantId);
  const account = grant && ctx.deps.accounts.forWaba(grant.wabaId);
  if (!grant || !account) return { kind: 'not-live', ...(grant ? { grant } : {}) };
  const { approverIds } = account.policy;
  if (!(await account.approvers.isApprover(actorId))) return { kind: 'forbidden', reason: 'not-approver', approverIds };
  if (!holderMay && (await ctx.interest.of({ targetUserId: grant.userId, ...slackPerson(grant) }, actorId)))
    return { kind: 'forbidden', reason: 'beneficiary', approverIds };
  return { kind: 'allowed', grant };
}
