import type { Account } from '../accounts.js';
import type { TemporaryGrant } from '../grants.js';
import type { AuditEntry } from '../ports.js';
import { type AccessRequest, hasApproved, type Pending } from '../request.js';
import type { UseCaseContext } from './context.js';
import { oncePer } from './once-per.js';

/** What a person's Home shows: their open requests and those waiting for them, recent activity, grants. */
export interface PersonalView {
  requests: { mine: AccessRequest[]; toDecide: Pending[] };
  recent: AccessRequest[];
  grants: TemporaryGrant[];
}

/**
 * Several people's personal views at once: the open and recently finished requests and the live grants are read once
 * for all of them, not once per person (a change concerns its requester and every approver of the account).
 */
export async function personalViewsOf(ctx: UseCaseContext, userIds: string[]): Promise<Map<string, PersonalView>> {
  const [open, recent, live] = await Promise.all([openRequests(ctx), recentRequests(ctx), ctx.temporary.live()]);
  const views = new Map<string, PersonalView>();
  for (const userId of userIds) {
    views.set(userId, {
      requests: await requestsOf(ctx, userId, open),
      recent: await recentOf(ctx, userId, 10, recent),
      grants: await grantsOf(ctx, userId, live),
    });
  }
  return views;
}

/** A person's open requests, and the pending ones waiting for their decision (newest first). */
export async function requestsOf(
  ctx: UseCaseContext,
  userId: string,
  open?: AccessRequest[],
): Promise<{ mine: AccessRequest[]; toDecide: Pending[] }> {
  open ??= await openRequests(ctx);
  const mine = open.filter((request) => request.requesterId === userId);
  // Approver of which accounts: asked once per account, not once per request.
  const isApproverOn = oncePer(
    async (wabaId) => (await ctx.deps.accounts.forWaba(wabaId)?.approvers.isApprover(userId)) ?? false,
  );
  // Their Meta link, asked of the directory once for the whole list, not once per pending request.
  const interestOf = ctx.interest.ofActor(userId);
  const toDecide: Pending[] = [];
  for (const request of open) {
    if (request.state !== 'pending' || hasApproved(request, userId)) continue;
    if ((await isApproverOn(request.wabaId)) && !(await interestOf(request))) toDecide.push(request);
  }
  return { mine: newestFirst(mine), toDecide: newestFirst(toDecide) };
}

/** Finished requests a person made or decided, newest first, among the recently finished ones (read if not given). */
export async function recentOf(
  ctx: UseCaseContext,
  userId: string,
  limit = 10,
  recent?: AccessRequest[],
): Promise<AccessRequest[]> {
  recent ??= await recentRequests(ctx);
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
export async function grantsOf(
  ctx: UseCaseContext,
  userId: string,
  live?: TemporaryGrant[],
): Promise<TemporaryGrant[]> {
  const metaId = await ctx.interest.metaIdOf(userId);
  return (live ?? (await ctx.temporary.live())).filter(
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

async function openRequests(ctx: UseCaseContext): Promise<AccessRequest[]> {
  return load(ctx, await ctx.deps.repository.openIds());
}

async function recentRequests(ctx: UseCaseContext): Promise<AccessRequest[]> {
  return load(ctx, await ctx.deps.repository.recentlyFinishedIds());
}

async function load(ctx: UseCaseContext, ids: string[]): Promise<AccessRequest[]> {
  const requests = await Promise.all(ids.map((id) => ctx.deps.repository.get(id)));
  return requests.filter((request): request is AccessRequest => request !== undefined);
}

function newestFirst<T extends AccessRequest>(requests: T[]): T[] {
  return [...requests].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
