import type { Account } from '../accounts.js';
import type { TemporaryGrant } from '../grants.js';
import type { AuditEntry } from '../ports.js';
import { type AccessRequest, hasApproved, type Pending } from '../request.js';
import type { UseCaseContext } from './context.js';
import { oncePer } from './once-per.js';

/** A person's open requests, and the pending ones waiting for their decision (newest first). */
export async function requestsOf(
  ctx: UseCaseContext,
  userId: string,
): Promise<{ mine: AccessRequest[]; toDecide: Pending[] }> {
  const open = await load(ctx, await ctx.deps.repository.openIds());
  const mine = open.filter((request) => request.requesterId === userId);
  // Approver of which accounts: asked once per account, not once per request.
  const isApproverOn = oncePer(
    async (wabaId) => (await ctx.deps.accounts.forWaba(wabaId)?.approvers.isApprover(userId)) ?? false,
  );
  const toDecide: Pending[] = [];
  for (const request of open) {
    if (request.state !== 'pending' || hasApproved(request, userId)) continue;
    if ((await isApproverOn(request.wabaId)) && !(await ctx.interest.of(request, userId))) toDecide.push(request);
  }
  return { mine: newestFirst(mine), toDecide: newestFirst(toDecide) };
}

/** Finished requests a person made or decided, newest first. */
export async function recentOf(ctx: UseCaseContext, userId: string, limit = 10): Promise<AccessRequest[]> {
  const recent = await load(ctx, await ctx.deps.repository.recentlyFinishedIds());
  const involved = recent.filter(
    (request) => request.requesterId === userId || request.decisions.some((decision) => decision.by === userId),
  );
  return involved.slice(0, limit);
}

/** Live temporary grants (on one account, when given), soonest end first. */
export async function activeGrants(ctx: UseCaseContext, account?: Account): Promise<TemporaryGrant[]> {
  const live = await ctx.temporary.live();
  return account ? live.filter((grant) => grant.wabaId === account.policy.wabaId) : live;
}

/**
 * Live temporary grants a person asked for or holds (the Slack person a grant names, or whoever is linked to its
 * Meta user): those they may say they are done with. Soonest end first.
 */
export async function grantsOf(ctx: UseCaseContext, userId: string): Promise<TemporaryGrant[]> {
  const metaId = await ctx.interest.metaIdOf(userId);
  return (await ctx.temporary.live()).filter(
    (grant) =>
      grant.state === 'active' &&
      (grant.requesterId === userId ||
        grant.targetSlackId === userId ||
        (metaId !== undefined && grant.userId === metaId)),
  );
}

/** A request's audit trail, oldest first. */
export function auditOf(ctx: UseCaseContext, id: string): Promise<AuditEntry[]> {
  return ctx.deps.repository.auditOf(id);
}

async function load(ctx: UseCaseContext, ids: string[]): Promise<AccessRequest[]> {
  const requests = await Promise.all(ids.map((id) => ctx.deps.repository.get(id)));
  return requests.filter((request): request is AccessRequest => request !== undefined);
}

function newestFirst<T extends AccessRequest>(requests: T[]): T[] {
  return [...requests].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
