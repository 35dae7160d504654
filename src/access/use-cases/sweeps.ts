import {
  type AccessRequest,
  expire,
  hasApproved,
  isFinal,
  isOverdue,
  isRetryOverdue,
  type Pending,
  startExecution,
} from '../request.js';
import { announceBreakGlass } from './break-glass.js';
import type { ServiceLogger, UseCaseContext } from './context.js';
import { notify } from './execution.js';
import { oncePer } from './once-per.js';
import { expireIfUnretried } from './retry.js';
import { openRequests, requestsIn } from './sweep-reads.js';

/**
 * Expires requests past their time: pending ones nobody decided, and failed ones nobody retried within
 * `REQUEST_TTL`. Returns how many it expired.
 */
export async function expireDue(ctx: UseCaseContext): Promise<number> {
  let count = 0;
  for await (const { id, request: seen } of openRequests(ctx)) {
    if (!isOverdue(seen, ctx.clock.now())) continue;
    const expired = await ctx.writer.withRequestLock(id, async () => {
      const request = await ctx.deps.repository.get(id);
      if (!request || !isOverdue(request, ctx.clock.now())) return undefined;
      return ctx.writer.persist(expire(request, ctx.clock.now()), 'system');
    });
    if (expired) {
      count++;
      await notify(ctx, expired);
    }
  }
  for await (const { id, request: seen } of requestsIn(ctx, await ctx.deps.repository.retryableIds())) {
    // Gone, or ended otherwise (succeeded or expired, for good) by a process that stopped before its index write.
    if (!seen || (isFinal(seen) && seen.state !== 'failed')) {
      await ctx.deps.repository.setRetryable(id, false);
      continue;
    }
    if (isRetryOverdue(seen, ctx.clock.now(), ctx.deps.requestTtlMs) && (await expireIfUnretried(ctx, id))) count++;
  }
  return count;
}

/**
 * Lists as retryable the failures among the recently finished requests, so those recorded before failures had an
 * index of their own expire as later ones do. Once per process; a failure that has since ended otherwise is taken
 * off again by the next expiry sweep.
 */
export async function listEarlierFailures(ctx: UseCaseContext): Promise<void> {
  for await (const { id, request } of requestsIn(ctx, await ctx.deps.repository.recentlyFinishedIds())) {
    if (request?.state === 'failed') await ctx.deps.repository.setRetryable(id, true);
  }
}

/** Reminds approvers, once, of requests that have waited longer than `remindAfterMs`. */
export async function remindDue(ctx: UseCaseContext): Promise<number> {
  const after = ctx.deps.remindAfterMs;
  if (after === undefined) return 0;
  const isDue = (request: AccessRequest | undefined): request is Pending =>
    request?.state === 'pending' &&
    !request.remindedAt &&
    new Date(request.createdAt).getTime() + after <= ctx.clock.now().getTime();
  // Asked of Slack once per account per sweep, and only when someone is due.
  const approversOf = oncePer(
    async (wabaId) => (await ctx.deps.accounts.forWaba(wabaId)?.approvers.approverUserIds()) ?? [],
  );
  let count = 0;
  for await (const { id, request: seen } of openRequests(ctx)) {
    if (!isDue(seen)) continue;
    // Marked under the request's lock before anyone is told: each request is reminded of once, by one process.
    const due = await ctx.writer.withRequestLock(id, async () => {
      const request = await ctx.deps.repository.get(id);
      if (!isDue(request)) return undefined;
      const now = ctx.clock.now().toISOString();
      return ctx.writer.save({ ...request, remindedAt: now, updatedAt: now });
    });
    if (!due) continue;
    const approvers: string[] = [];
    for (const approver of await approversOf(due.wabaId)) {
      if (!hasApproved(due, approver) && !(await ctx.interest.of(due, approver))) approvers.push(approver);
    }
    try {
      await ctx.deps.notifier.remind(due, approvers);
      await ctx.writer.audit(due, 'system', 'reminded', `${approvers.length} approver(s)`);
      count++;
    } catch (error) {
      ctx.deps.logger?.warn({ err: error, requestId: id }, 'could not remind approvers');
    }
  }
  return count;
}

/**
 * Carries on with requests approved but not finished by a process that is gone (at start, and on every sweep).
 * Each write is preceded by a fresh read (a grant sends nothing when the user already holds the tasks; a revoke
 * nothing when the user is gone), so a request whose write landed just before a crash is not sent again.
 */
export async function recover(ctx: UseCaseContext): Promise<number> {
  const resumed: Promise<AccessRequest>[] = [];
  for await (const { id, request: seen } of openRequests(ctx)) {
    // A pending request has no work to resume; skipping it here spares a lock per request on every sweep.
    if (seen?.state === 'pending') continue;
    const executing = await ctx.writer.withRequestLock(id, async () => {
      const request = await ctx.deps.repository.get(id);
      if (!request || isFinal(request)) {
        await ctx.writer.close(id, request);
        return undefined;
      }
      const now = ctx.clock.now();
      if (!(await isOrphaned(ctx, request, now))) return undefined;
      const next = startExecution(request, now, ctx.leaseMs, ctx.instanceId);
      const resumed = await ctx.writer.persist(next, 'system', 'resumed: its process stopped before finishing');
      // Break-glass whose process stopped before telling anyone: the approvers hear of it before it goes ahead.
      return resumed.emergency && resumed.approvalMessages.length === 0 ? announceBreakGlass(ctx, resumed) : resumed;
    });
    if (executing) {
      ctx.deps.logger?.info({ requestId: id }, 'resuming interrupted request');
      // Side by side: one request waiting on its user's lock must not hold up the rest.
      resumed.push(ctx.execute(executing));
    }
  }
  await Promise.allSettled(resumed);
  return resumed.length;
}

/** Whether a request was left half-done by a process that is no longer working on it. */
async function isOrphaned(ctx: UseCaseContext, request: AccessRequest, now: Date): Promise<boolean> {
  if (request.state === 'approved') return true;
  if (request.state !== 'executing' || request.executor === ctx.instanceId) return false;
  if (!ctx.deps.sharedStore || new Date(request.leaseUntil) <= now) return true;
  return request.executor !== undefined && !(await ctx.deps.repository.isAlive(request.executor));
}

/** The sweeps, as the background loop runs them. */
export interface Sweeps {
  recover(): Promise<number>;
  expireDue(): Promise<number>;
  expireGrants(): Promise<number>;
  remindDue(): Promise<number>;
  /** The heads-up before temporary grants end. */
  noticeExpiring(): Promise<number>;
  /** Reminders of break-glass uses nobody has reviewed. */
  remindReviews(): Promise<number>;
}

/**
 * One pass: half-done work resumes first, then pending requests expire or are reminded of, failed ones not retried
 * in time expire, grants end or their people hear they soon will, and unreviewed break-glass uses are reminded of.
 */
export async function sweepOnce(sweeps: Sweeps, logger: ServiceLogger): Promise<void> {
  const resumed = await sweeps.recover().catch((error: unknown) => {
    logger.error({ err: error }, 'recovery sweep failed');
    return 0;
  });
  if (resumed > 0) logger.info({ resumed }, 'resumed interrupted requests');
  await Promise.all([
    sweeps.expireDue().catch((error: unknown) => logger.error({ err: error }, 'request expiry sweep failed')),
    sweeps.expireGrants().catch((error: unknown) => logger.error({ err: error }, 'grant expiry sweep failed')),
    sweeps.remindDue().catch((error: unknown) => logger.error({ err: error }, 'reminder sweep failed')),
    sweeps.noticeExpiring().catch((error: unknown) => logger.error({ err: error }, 'heads-up sweep failed')),
    sweeps.remindReviews().catch((error: unknown) => logger.error({ err: error }, 'break-glass review sweep failed')),
  ]);
}

/**
 * Starts the background work of one process: a heartbeat, so replicas see it alive and take over its work soon
 * after it dies, and the sweep (which also catches up after downtime). Both run once before this resolves.
 * Returns the function that stops them.
 */
export async function startBackgroundWork(options: {
  sweeps: Sweeps;
  /** Records this process alive for `ttlMs`. */
  heartbeat: (ttlMs: number) => Promise<void>;
  heartbeatTtlMs: number;
  sweepIntervalMs: number;
  logger: ServiceLogger;
}): Promise<() => void> {
  const { sweeps, heartbeatTtlMs, logger } = options;
  const beat = () =>
    options.heartbeat(heartbeatTtlMs).catch((error: unknown) => logger.error({ err: error }, 'heartbeat failed'));
  await beat();
  const heartbeat = setInterval(beat, heartbeatTtlMs / 3);
  heartbeat.unref();
  const sweep = () => sweepOnce(sweeps, logger);
  await sweep();
  const sweeper = setInterval(sweep, options.sweepIntervalMs);
  sweeper.unref();
  return () => {
    clearInterval(sweeper);
    clearInterval(heartbeat);
  };
}
