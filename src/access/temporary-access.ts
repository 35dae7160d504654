import { formatDuration } from './duration.js';
import {
  grantFor,
  type Ledger,
  ledgerAfterEnd,
  ledgerAfterGrant,
  ledgerAfterMakingTemporary,
  planExpiry,
  planTarget,
  type TemporaryGrant,
} from './grants.js';
import type { AuditEntry, Clock, Locker, RequestNotifier, RequestRepository } from './ports.js';
import type { Executing } from './request.js';
import type { Task } from './tasks.js';
import type { WabaAccess } from './waba.js';
import { withWriteCause } from './write-journal.js';

export interface TemporaryAccessDeps {
  repository: RequestRepository;
  locker: Locker;
  /** The WABA a request or grant is on. */
  wabaFor(wabaId: string): WabaAccess;
  /** The longest a grant on this WABA may still run, counted from now (extensions included). */
  maxGrantMsFor(wabaId: string): number;
  notifier: RequestNotifier;
  clock: Clock;
  /** Audits a fact about a request (`id`) on the account of `wabaId`. */
  audit(
    subject: { id: string; wabaId: string },
    actor: string,
    event: AuditEntry['event'],
    detail?: string,
  ): Promise<void>;
  logger?: { error(obj: object, msg: string): void };
}

/** The request a grant came from, as its audit entries name it. */
const subjectOf = (grant: TemporaryGrant) => ({ id: grant.requestId, wabaId: grant.wabaId });

/** Graph calls for one user are serialised, so overlapping grants and expiries see each other's writes. */
export const USER_LOCK = { waitMs: 60_000 };

/** The lock every change to one user's access on one WABA is made under. */
export function userLockKey(wabaId: string, userId: string): string {
  return `user:${wabaId}:${userId}`;
}
/** A heads-up can wait for the next sweep rather than hold it up behind a grant being carried out. */
const NOTICE_LOCK = { waitMs: 2_000 };

export type EndResult =
  | { kind: 'ended'; grant: TemporaryGrant }
  | { kind: 'conflict'; grant: TemporaryGrant }
  | { kind: 'not-live'; grant?: TemporaryGrant };

/**
 * Carries out grants, revokes and extensions so that temporary grants can end cleanly, and ends them: on time, early
 * (Revoke now), or after an approver settles a conflict.
 */
export class TemporaryAccess {
  constructor(private readonly deps: TemporaryAccessDeps) {}

  /** Adds the requested tasks; a request with a duration becomes a live temporary grant. */
  async applyGrant(request: Executing): Promise<{ resultTasks: Task[]; grant?: TemporaryGrant }> {
    return this.withUser(request.wabaId, request.targetUserId, async () => {
      const { repository, clock } = this.deps;
      const waba = this.deps.wabaFor(request.wabaId);
      const ledger = await repository.getLedger(waba.wabaId, request.targetUserId);
      const live = await this.liveGrants(ledger);
      const { before, after } = await waba.addTasks(request.targetUserId, request.tasks);
      let grant: TemporaryGrant | undefined;
      if (request.durationMs) {
        const now = clock.now();
        grant = grantFor(request, request.tasks, now, new Date(now.getTime() + request.durationMs));
        await repository.saveGrant(grant);
        await repository.setGrantLive(grant.id, true);
        await this.deps.audit(request, 'system', 'grant-started', `ends ${grant.endsAt}`);
      }
      if (grant || ledger) {
        await repository.saveLedger(
          waba.wabaId,
          request.targetUserId,
          ledgerAfterGrant(ledger, live, before, request.tasks, grant?.id),
        );
      }
      return { resultTasks: after, ...(grant ? { grant } : {}) };
    });
  }

  /**
   * Makes what the user holds now (a fresh read) temporary: a grant of all of it, ending at the request's duration,
   * after which the user is removed (other live grants still end as they would). Sends nothing to Meta. `held` is
   * null when the user had no access any more, and then no grant is made.
   */
  async applyTemporaryKeep(request: Executing): Promise<{ held: Task[] | null; grant?: TemporaryGrant }> {
    return this.withUser(request.wabaId, request.targetUserId, async () => {
      const { repository, clock } = this.deps;
      const waba = this.deps.wabaFor(request.wabaId);
      const held = (await waba.currentAccess(request.targetUserId))?.tasks ?? null;
      if (!held) return { held };
      const ledger = await repository.getLedger(waba.wabaId, request.targetUserId);
      const live = await this.liveGrants(ledger);
      const now = clock.now();
      const grant = grantFor(request, held, now, new Date(now.getTime() + (request.durationMs ?? 0)));
      await repository.saveGrant(grant);
      await repository.setGrantLive(grant.id, true);
      await this.deps.audit(request, 'system', 'grant-started', `ends ${grant.endsAt}, then removed`);
      await repository.saveLedger(waba.wabaId, request.targetUserId, ledgerAfterMakingTemporary(live, grant.id));
      return { held, grant };
    });
  }

  /** Removes the user; their live temporary grants end with them. Returns whether there was access to remove. */
  async applyRevoke(request: Executing): Promise<boolean> {
    const ended: TemporaryGrant[] = [];
    const removed = await this.withUser(request.wabaId, request.targetUserId, async () => {
      const { repository, clock } = this.deps;
      const waba = this.deps.wabaFor(request.wabaId);
      const ledger = await repository.getLedger(waba.wabaId, request.targetUserId);
      const held = await waba.removeUser(request.targetUserId);
      for (const grant of await this.liveGrants(ledger)) {
        const done: TemporaryGrant = {
          ...grant,
          state: 'ended',
          outcome: 'revoked',
          endedAt: clock.now().toISOString(),
          endedBy: request.requesterId,
          finalTasks: null,
        };
        await this.finish(done, `revoked by request ${request.id}`);
        ended.push(done);
      }
      if (ledger) await repository.saveLedger(waba.wabaId, request.targetUserId, undefined);
      return held !== null;
    });
    for (const grant of ended) await this.tell(grant);
    return removed;
  }

  /** Moves a live grant's end later by the extension's duration. */
  async applyExtension(request: Executing): Promise<TemporaryGrant> {
    const grant = await this.withUser(request.wabaId, request.targetUserId, async () => {
      const current = await this.deps.repository.getGrant(request.grantId ?? '');
      if (current?.state !== 'active') {
        throw new GrantNotLiveError(
          'The access this extension was for has already ended; ask for a new grant instead.',
        );
      }
      const endsAt = new Date(current.endsAt).getTime() + (request.durationMs ?? 0);
      // Checked again here, under the user's lock: the policy or the grant may have changed since it was asked for.
      const maxMs = this.deps.maxGrantMsFor(request.wabaId);
      if (endsAt - this.deps.clock.now().getTime() > maxMs) throw new ExtensionTooLongError(maxMs);
      const extended = { ...current, endsAt: new Date(endsAt).toISOString() };
      await this.deps.repository.saveGrant(extended);
      await this.deps.audit(
        subjectOf(current),
        request.requesterId,
        'grant-extended',
        `by request ${request.id}, now ends ${extended.endsAt}`,
      );
      return extended;
    });
    await this.tell(grant);
    return grant;
  }

  /** Ends every live grant whose time has come. Returns how many it dealt with. */
  async endDue(): Promise<number> {
    let count = 0;
    const now = this.deps.clock.now();
    for (const id of await this.deps.repository.liveGrantIds()) {
      const grant = await this.deps.repository.getGrant(id);
      if (!grant) {
        await this.deps.repository.setGrantLive(id, false);
        continue;
      }
      if (grant.state !== 'active' || new Date(grant.endsAt) > now) continue;
      try {
        const result = await this.end(id, 'system');
        if (result.kind !== 'not-live') count++;
      } catch (error) {
        // One grant Meta or the policy cannot end now must not hold up the others; the next sweep tries again.
        this.deps.logger?.error({ err: error, grantId: id }, 'could not end a temporary grant');
      }
    }
    return count;
  }

  /**
   * Ends an active grant now: on time (`system`), or early — an approver's Revoke now, its holder or requester being
   * done with it (`done`), or an approver revoking a break-glass use on review (`review`).
   */
  async end(grantId: string, actor: string, earlyEnd?: TemporaryGrant['earlyEnd']): Promise<EndResult> {
    const grant = await this.deps.repository.getGrant(grantId);
    if (!grant) return { kind: 'not-live' };
    const result = await this.withUser(grant.wabaId, grant.userId, async (): Promise<EndResult> => {
      const { repository, clock } = this.deps;
      const waba = this.deps.wabaFor(grant.wabaId);
      const current = await repository.getGrant(grantId);
      if (current?.state !== 'active') return { kind: 'not-live', ...(current ? { grant: current } : {}) };
      const ledger = (await repository.getLedger(waba.wabaId, current.userId)) ?? {
        baseline: null,
        liveGrantIds: [current.id],
      };
      const live = await this.liveGrants(ledger);
      const found = (await waba.currentAccess(current.userId))?.tasks ?? null;
      const plan = planExpiry(
        ledger,
        live.some((g) => g.id === current.id) ? live : [...live, current],
        current,
        found,
      );
      const endedBy = actor === 'system' ? {} : { endedBy: actor, ...(earlyEnd ? { earlyEnd } : {}) };
      if (plan.kind === 'conflict') {
        const conflicted: TemporaryGrant = {
          ...current,
          ...endedBy,
          state: 'conflict',
          conflict: { expected: plan.expected, found: plan.found, target: plan.target },
        };
        await repository.saveGrant(conflicted);
        await this.deps.audit(
          subjectOf(current),
          actor,
          'grant-conflict',
          `expected ${describe(plan.expected)}, found ${describe(plan.found)}`,
        );
        return { kind: 'conflict', grant: conflicted };
      }
      const target = plan.kind === 'remove' ? null : plan.target;
      if (plan.kind !== 'unchanged')
        await withWriteCause(`request:${current.requestId}`, () => waba.setTasks(current.userId, target));
      const ended: TemporaryGrant = {
        ...current,
        ...endedBy,
        state: 'ended',
        outcome: target === null ? 'removed' : 'restored',
        endedAt: clock.now().toISOString(),
        finalTasks: target,
      };
      await this.closeLedger(ledger, live, ended, target);
      await this.finish(
        ended,
        actor === 'system' ? 'ended on time' : earlyEnd ? `ended early (${earlyEnd})` : 'ended early',
      );
      return { kind: 'ended', grant: ended };
    });
    if (result.kind !== 'not-live') await this.tell(result.grant);
    return result;
  }

  /** An approver settles a conflict: put back what ending the grant should leave, or keep what the user has now. */
  async resolve(grantId: string, choice: 'restore' | 'keep', actor: string): Promise<EndResult> {
    const grant = await this.deps.repository.getGrant(grantId);
    if (!grant) return { kind: 'not-live' };
    const result = await this.withUser(grant.wabaId, grant.userId, async (): Promise<EndResult> => {
      const { repository, clock } = this.deps;
      const waba = this.deps.wabaFor(grant.wabaId);
      const current = await repository.getGrant(grantId);
      if (current?.state !== 'conflict') return { kind: 'not-live', ...(current ? { grant: current } : {}) };
      const ledger = (await repository.getLedger(waba.wabaId, current.userId)) ?? { baseline: null, liveGrantIds: [] };
      const live = await this.liveGrants(ledger);
      const found = (await waba.currentAccess(current.userId))?.tasks ?? null;
      let holding = found;
      if (choice === 'restore') {
        const others = live.filter((other) => other.id !== current.id);
        const target = planExpiry(ledger, [...others, current], current, found);
        const wanted = target.kind === 'conflict' ? target.target : target.kind === 'remove' ? null : target.target;
        const step = planTarget(found, wanted);
        if (step.kind !== 'unchanged')
          await withWriteCause(`request:${current.requestId}`, () => waba.setTasks(current.userId, wanted));
        holding = wanted;
      }
      const ended: TemporaryGrant = {
        ...current,
        state: 'ended',
        outcome: choice === 'restore' ? 'overridden' : 'kept',
        endedAt: clock.now().toISOString(),
        endedBy: actor,
        finalTasks: holding,
      };
      await this.closeLedger(ledger, live, ended, holding);
      await this.finish(
        ended,
        choice === 'restore' ? 'conflict settled: restored' : 'conflict settled: kept current access',
      );
      return { kind: 'ended', grant: ended };
    });
    if (result.kind !== 'not-live') await this.tell(result.grant);
    return result;
  }

  /**
   * Claims the heads-up before an active grant's end, once per end: marked on the grant under its user's lock, which
   * every replica takes, before anyone is told. Undefined when it is not `due` as stored, or someone else claimed it.
   */
  async claimNotice(grantId: string, due: (grant: TemporaryGrant) => boolean): Promise<TemporaryGrant | undefined> {
    const seen = await this.deps.repository.getGrant(grantId);
    if (!seen || !due(seen)) return undefined;
    return this.deps.locker.withLock(
      userLockKey(seen.wabaId, seen.userId),
      async () => {
        const grant = await this.deps.repository.getGrant(grantId);
        if (!grant || !due(grant)) return undefined;
        const claimed: TemporaryGrant = { ...grant, noticeSentFor: grant.endsAt };
        await this.deps.repository.saveGrant(claimed);
        return claimed;
      },
      NOTICE_LOCK,
    );
  }

  /** Live grants, soonest end first. */
  async live(): Promise<TemporaryGrant[]> {
    const grants: TemporaryGrant[] = [];
    for (const id of await this.deps.repository.liveGrantIds()) {
      const grant = await this.deps.repository.getGrant(id);
      if (grant && grant.state !== 'ended') grants.push(grant);
    }
    return grants.sort((a, b) => a.endsAt.localeCompare(b.endsAt));
  }

  private async liveGrants(ledger: Ledger | undefined): Promise<TemporaryGrant[]> {
    const grants: TemporaryGrant[] = [];
    for (const id of ledger?.liveGrantIds ?? []) {
      const grant = await this.deps.repository.getGrant(id);
      if (grant && grant.state !== 'ended') grants.push(grant);
    }
    return grants;
  }

  private async closeLedger(ledger: Ledger, live: TemporaryGrant[], ended: TemporaryGrant, holding: Task[] | null) {
    const next = ledgerAfterEnd(ledger, live, ended, holding);
    await this.deps.repository.saveLedger(ended.wabaId, ended.userId, next.liveGrantIds.length > 0 ? next : undefined);
  }

  private async finish(grant: TemporaryGrant, detail: string): Promise<void> {
    await this.deps.repository.saveGrant(grant);
    await this.deps.repository.setGrantLive(grant.id, false);
    await this.deps.audit(subjectOf(grant), grant.endedBy ?? 'system', 'grant-ended', `${grant.outcome}: ${detail}`);
  }

  /** Tells Slack; a conflict question's message ids are kept so the answer can update it. */
  private async tell(grant: TemporaryGrant): Promise<void> {
    const request = await this.deps.repository.get(grant.requestId);
    if (!request) return;
    try {
      const refs = await this.deps.notifier.grantChanged(grant, request);
      if (grant.state === 'conflict' && refs.length > 0) {
        await this.deps.repository.saveGrant({ ...grant, conflictMessages: refs });
      }
    } catch (error) {
      this.deps.logger?.error({ err: error, grantId: grant.id }, 'could not tell Slack about a grant');
      await this.deps.audit(
        subjectOf(grant),
        'system',
        'notify-failed',
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  private withUser<T>(wabaId: string, userId: string, fn: () => Promise<T>): Promise<T> {
    return this.deps.locker.withLock(userLockKey(wabaId, userId), fn, USER_LOCK);
  }
}

/** An extension would make a grant run longer from now than its account allows. */
export class ExtensionTooLongError extends Error {
  constructor(readonly maxMs: number) {
    super(
      `Extended now, the access would run longer than the ${formatDuration(maxMs)} allowed from now, so it was not extended. Ask for a shorter extension.`,
    );
    this.name = 'ExtensionTooLongError';
  }
}

export class GrantNotLiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GrantNotLiveError';
  }
}

function describe(tasks: Task[] | null): string {
  return tasks ? tasks.join(',') : 'no access';
}
