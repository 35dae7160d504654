import { randomBytes } from 'node:crypto';
import type { AssignedAccount } from '../graph/schemas.js';
import type { Account } from './accounts.js';
import type { TemporaryGrant } from './grants.js';
import { Limiter } from './limiter.js';
import { type AuditEntry, type Clock, systemClock } from './ports.js';
import type { AccessRequest, Executing, Pending } from './request.js';
import { ReviewService } from './review-service.js';
import { TemporaryAccess } from './temporary-access.js';
import {
  type BreakGlassInput,
  type BreakGlassResult,
  breakGlass,
  type ReviewResult,
  remindUnreviewed,
  reviewBreakGlass,
} from './use-cases/break-glass.js';
import { type CancelResult, cancel } from './use-cases/cancel.js';
import { type AccessServiceDeps, accountOf, type UseCaseContext } from './use-cases/context.js';
import { type DecideInput, type DecideResult, decide, verdict } from './use-cases/decide.js';
import { type DoneResult, endAsDone } from './use-cases/done.js';
import { execute } from './use-cases/execution.js';
import {
  extendable,
  type GrantActionResult,
  type GrantRefusal,
  resolveConflict,
  revokeGrantNow,
  submitExtension,
} from './use-cases/grant-actions.js';
import { sendExpiryNotices } from './use-cases/heads-up.js';
import { Interest } from './use-cases/interest.js';
import {
  activeGrants,
  auditOf,
  grantsOf,
  type PersonalView,
  personalViewsOf,
  recentOf,
  requestsOf,
} from './use-cases/queries.js';
import { RequestWriter } from './use-cases/request-writer.js';
import { retry } from './use-cases/retry.js';
import { type SubmitInput, type SubmitResult, submit } from './use-cases/submit.js';
import { expireDue, listEarlierFailures, recover, remindDue, type Sweeps } from './use-cases/sweeps.js';

export type { BreakGlassInput, BreakGlassResult, ReviewResult } from './use-cases/break-glass.js';
export type { CancelResult } from './use-cases/cancel.js';
export type { AccessServiceDeps, ServiceLogger } from './use-cases/context.js';
export type { DecideResult } from './use-cases/decide.js';
export type { DoneResult } from './use-cases/done.js';
export { toExecutionError } from './use-cases/execution.js';
export type { GrantActionResult } from './use-cases/grant-actions.js';
export type { SubmitInput, SubmitResult } from './use-cases/submit.js';

const DEFAULT_LEASE_MS = 5 * 60_000;

/**
 * The domain's front door: one method per use case (each in src/access/use-cases/), and a count of the work under
 * way so a stop can wait for it. Knows nothing of Slack; returns typed outcomes, never text.
 */
export class AccessService implements Sweeps {
  readonly instanceId: string;
  private readonly ctx: UseCaseContext;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Submissions waiting their turn, so a burst of commands does not read Meta all at once. */
  private readonly work: Limiter;
  /** Access reviews of whole accounts. */
  readonly reviews: ReviewService;
  private earlierFailures?: Promise<void>;

  constructor(deps: AccessServiceDeps) {
    const clock: Clock = deps.clock ?? systemClock;
    this.instanceId = deps.instanceId ?? randomBytes(6).toString('hex');
    this.work = new Limiter(deps.maxConcurrentSubmissions ?? 8);
    const writer = new RequestWriter(
      deps.repository,
      deps.locker,
      clock,
      deps.logger,
      (wabaId) => deps.accounts.forWaba(wabaId)?.policy.alias,
      deps.metrics,
    );
    const ctx: UseCaseContext = {
      deps,
      clock,
      leaseMs: deps.executionLeaseMs ?? DEFAULT_LEASE_MS,
      instanceId: this.instanceId,
      newId: deps.newId ?? (() => randomBytes(5).toString('hex')),
      writer,
      interest: new Interest(deps.identities),
      temporary: new TemporaryAccess({
        repository: deps.repository,
        locker: deps.locker,
        wabaFor: (wabaId) => accountOf(ctx, wabaId).waba,
        maxGrantMsFor: (wabaId) => accountOf(ctx, wabaId).policy.durations.maxMs,
        notifier: deps.notifier,
        clock,
        audit: (subject, actor, event, detail) => writer.audit(subject, actor, event, detail),
        ...(deps.logger ? { logger: deps.logger } : {}),
      }),
      execute: (request: Executing) => this.track(execute(ctx, request)),
    };
    this.ctx = ctx;
    this.reviews = new ReviewService(ctx, deps.reviews, (work) => this.track(work));
  }

  /** Records a request and asks the approvers; refuses at once what the rules forbid or what would change nothing. */
  submit(input: SubmitInput): Promise<SubmitResult> {
    return this.track(this.work.run(() => submit(this.ctx, input)));
  }

  /** Whether `actorId` may approve or deny request `id`, without changing it. */
  verdict(id: string, actorId: string): Promise<DecideResult | { kind: 'allowed'; request: AccessRequest }> {
    return verdict(this.ctx, id, actorId);
  }

  /** Approves or denies; exactly one of any number of concurrent clicks moves the request out of pending. */
  decide(input: DecideInput): Promise<DecideResult> {
    return this.track(this.counted(input.decision, decide(this.ctx, input)));
  }

  /** An approver sends a failed request to Graph once more. */
  retry(input: { requestId: string; actorId: string }): Promise<DecideResult> {
    return this.track(this.counted('retry', retry(this.ctx, input)));
  }

  /** The requester withdraws a request nobody has decided yet. */
  cancel(input: { requestId: string; actorId: string }): Promise<CancelResult> {
    return this.track(cancel(this.ctx, input));
  }

  /** A live grant this person may ask to extend, or why they may not. */
  extendable(grantId: string, actorId: string): Promise<{ kind: 'active'; grant: TemporaryGrant } | GrantRefusal> {
    return extendable(this.ctx, grantId, actorId);
  }

  /** The grant's requester, the person it is for, or an approver asks for it to last longer; an approver decides. */
  submitExtension(input: { grantId: string; durationMs: number; requesterId: string }): Promise<SubmitResult> {
    return this.track(submitExtension(this.ctx, input));
  }

  /**
   * "I'm done": the person who asked for a temporary grant, or the person it is for, ends it before its time; no
   * approval needed, and it ends as expiry ends it.
   */
  endGrantAsDone(grantId: string, actorId: string): Promise<DoneResult> {
    return this.track(endAsDone(this.ctx, grantId, actorId));
  }

  /** Break-glass: someone listed for it gives access at once, without approval; reviewed afterwards. */
  breakGlass(input: BreakGlassInput): Promise<BreakGlassResult> {
    return this.track(this.work.run(() => breakGlass(this.ctx, input)));
  }

  /** An approver other than its user and the person it is for reviews a break-glass use: looks right, or revoke. */
  reviewBreakGlass(input: {
    requestId: string;
    actorId: string;
    verdict: 'looks-right' | 'revoked';
  }): Promise<ReviewResult> {
    return this.track(reviewBreakGlass(this.ctx, input));
  }

  /** An approver ends a temporary grant before its time (the person who holds it may too: access only shrinks). */
  revokeGrantNow(grantId: string, actorId: string): Promise<GrantActionResult> {
    return this.track(revokeGrantNow(this.ctx, grantId, actorId));
  }

  /** An approver other than the person concerned settles a conflict found when a grant ended. */
  resolveConflict(grantId: string, choice: 'restore' | 'keep', actorId: string): Promise<GrantActionResult> {
    return this.track(resolveConflict(this.ctx, grantId, choice, actorId));
  }

  /** Expires pending requests past their time, and failed ones not retried in time. Returns how many it expired. */
  expireDue(): Promise<number> {
    return this.track(this.earlierFailuresListed().then(() => expireDue(this.ctx)));
  }

  /** Failures recorded before they had an index of their own, listed there once (tried again if the store failed). */
  private earlierFailuresListed(): Promise<void> {
    this.earlierFailures ??= listEarlierFailures(this.ctx).catch((error: unknown) => {
      this.earlierFailures = undefined;
      throw error;
    });
    return this.earlierFailures;
  }

  /** Ends temporary grants whose time has come. */
  expireGrants(): Promise<number> {
    return this.track(this.ctx.temporary.endDue());
  }

  /** Reminds approvers, once, of requests that have waited long. */
  remindDue(): Promise<number> {
    return this.track(remindDue(this.ctx));
  }

  /** Tells people, once, that a temporary grant of theirs ends soon. */
  noticeExpiring(): Promise<number> {
    return this.track(sendExpiryNotices(this.ctx));
  }

  /** Reminds approvers, once, of break-glass uses nobody has reviewed. */
  remindReviews(): Promise<number> {
    return this.track(remindUnreviewed(this.ctx));
  }

  /** Carries on with requests a process that is gone approved but did not finish. */
  recover(): Promise<number> {
    return this.track(recover(this.ctx));
  }

  /** A person's open requests, and the pending ones waiting for their decision (newest first). */
  requestsOf(userId: string): Promise<{ mine: AccessRequest[]; toDecide: Pending[] }> {
    return requestsOf(this.ctx, userId);
  }

  /** Several people's Home views, reading what they share once. */
  personalViewsOf(userIds: string[]): Promise<Map<string, PersonalView>> {
    return personalViewsOf(this.ctx, userIds);
  }

  /** Finished requests a person made or decided, newest first. */
  recentOf(userId: string, limit?: number): Promise<AccessRequest[]> {
    return recentOf(this.ctx, userId, limit);
  }

  /** Live temporary grants (on one account, when given), soonest end first. */
  activeGrants(account?: Account): Promise<TemporaryGrant[]> {
    return activeGrants(this.ctx, account);
  }

  /** Live temporary grants a person asked for or holds: those they may say they are done with. */
  grantsOf(userId: string): Promise<TemporaryGrant[]> {
    return grantsOf(this.ctx, userId);
  }

  /** One temporary grant, whatever its state. */
  liveGrant(grantId: string): Promise<TemporaryGrant | undefined> {
    return this.ctx.deps.repository.getGrant(grantId);
  }

  get(id: string): Promise<AccessRequest | undefined> {
    return this.ctx.deps.repository.get(id);
  }

  auditOf(id: string): Promise<AuditEntry[]> {
    return auditOf(this.ctx, id);
  }

  /** Every WABA a Meta user can reach (asked on the user's own edge, whatever account). */
  accountsOf(userId: string): Promise<AssignedAccount[]> {
    return this.ctx.deps.accounts.default.waba.accountsOf(userId);
  }

  /** Resolves when every operation under way (submissions, decisions, Graph changes) has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async counted(decision: 'approve' | 'deny' | 'retry', work: Promise<DecideResult>): Promise<DecideResult> {
    const result = await work;
    this.ctx.deps.metrics?.decided(decision, result.kind);
    return result;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }
}
