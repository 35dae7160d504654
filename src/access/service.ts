import { randomBytes } from 'node:crypto';
import { GraphError, GraphInputError } from '../graph/errors.js';
import type { AssignedAccount } from '../graph/schemas.js';
import {
  type Account,
  type AccountLookup,
  type AccountPolicy,
  type GrantDurations,
  requestRefusal,
  UnconfiguredAccountError,
  unknownAccount,
} from './accounts.js';
import { formatDuration } from './duration.js';
import type { TemporaryGrant } from './grants.js';
import { Limiter } from './limiter.js';
import { approvalsNeeded, type RefusalReason } from './policy.js';
import {
  type Clock,
  type Identities,
  LockBusyError,
  type Locker,
  type RequestNotifier,
  type RequestRepository,
  systemClock,
} from './ports.js';
import {
  type AccessRequest,
  approvalsOf,
  approvalsRequired,
  approve,
  cancel,
  deny,
  type Executing,
  type ExecutionError,
  expire,
  fail,
  hasApproved,
  isFinal,
  isOverdue,
  type Pending,
  retry,
  setAsideApprovals,
  startExecution,
  succeed,
} from './request.js';
import { normalizeTasks, type Task } from './tasks.js';
import { type EndResult, ExtensionTooLongError, GrantNotLiveError, TemporaryAccess } from './temporary-access.js';
import { type PersonAccess, PersonEdgeError, type Roster } from './waba.js';

export interface ServiceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AccessServiceDeps {
  repository: RequestRepository;
  locker: Locker;
  /** The accounts requests are made on: each with its WABA, approvers and rules. */
  accounts: AccountLookup;
  notifier: RequestNotifier;
  /** Who is who: nobody decides a request about the Meta user they are linked to. */
  identities?: Identities;
  requestTtlMs: number;
  /** Approvers are reminded once of requests pending this long; unset: never. */
  remindAfterMs?: number;
  clock?: Clock;
  /** How long an executor owns a request before recovery may take it over; longer than any Graph call. */
  executionLeaseMs?: number;
  /**
   * Whether other processes share the store (Redis). When not, work another process left executing is orphaned,
   * whatever its lease says.
   */
  sharedStore?: boolean;
  /** This process, as recorded on the work it carries out. */
  instanceId?: string;
  /**
   * How many submissions run at once. The rest queue without using CPU, so a burst of commands is acknowledged
   * quickly while their work follows in order. (Approvals are not limited: their fresh reads are shared.)
   */
  maxConcurrentSubmissions?: number;
  logger?: ServiceLogger;
  newId?: () => string;
}

export interface SubmitInput {
  kind: 'grant' | 'revoke';
  /** The account's alias; unset: the default account. */
  account?: string;
  userId: string;
  /** The Slack person the Meta user is, shown beside the id. */
  targetSlackId?: string;
  tasks?: Task[];
  reason?: string;
  /** How long a grant lasts; `permanent` to ask for no end. Unset: the configured default. */
  duration?: number | 'permanent';
  requesterId: string;
  channelId: string;
}

export type GrantActionResult =
  | EndResult
  | { kind: 'forbidden'; reason: 'not-approver' | 'beneficiary'; approverIds: readonly string[] };

/** Why an action on a grant was not taken: it is not live (or its account is gone), or the actor may not. */
type GrantRefusal = Exclude<GrantActionResult, { kind: 'ended' | 'conflict' }>;

export type SubmitResult =
  | { kind: 'submitted'; request: Pending; account: AccountPolicy }
  /** Nothing was stored: the request would change nothing, or cannot be carried out. */
  | { kind: 'rejected'; problem: string; hint: string };

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
   * A failed request that may not be sent again: it failed longer ago than a request may wait, or the policy no
   * longer allows it as approved (a task taken off the account, or more approvals needed now).
   */
  | { kind: 'retry-refused'; request: AccessRequest; problem: string; hint: string }
  | { kind: 'already'; request: AccessRequest }
  | { kind: 'not-found' }
  | { kind: 'busy' };

export type CancelResult =
  | { kind: 'done'; request: AccessRequest }
  | { kind: 'not-requester'; request: AccessRequest }
  | { kind: 'already'; request: AccessRequest }
  | { kind: 'not-found' }
  | { kind: 'busy' };

/** `ask`, asked once per key: later calls with the same key share the first answer. */
function oncePer<T>(ask: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const answers = new Map<string, Promise<T>>();
  return (key) => {
    let answer = answers.get(key);
    if (!answer) {
      answer = ask(key);
      answers.set(key, answer);
    }
    return answer;
  };
}

/** The Slack person a grant is for, as a request's `targetSlackId`, when there is one. */
function slackPerson(grant: TemporaryGrant): { targetSlackId?: string } {
  return grant.targetSlackId ? { targetSlackId: grant.targetSlackId } : {};
}

function newestFirst<T extends AccessRequest>(requests: T[]): T[] {
  return [...requests].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

const DEFAULT_LEASE_MS = 5 * 60_000;
/** Requests a sweep reads before it lets waiting work run. */
const SWEEP_BATCH = 20;
const lockKey = (id: string) => `request:${id}`;

/** Drives access requests from submission to their end. Knows nothing of Slack. */
export class AccessService {
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly newId: () => string;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly temporary: TemporaryAccess;
  readonly instanceId: string;
  private readonly work: Limiter;

  constructor(private readonly deps: AccessServiceDeps) {
    this.clock = deps.clock ?? systemClock;
    this.leaseMs = deps.executionLeaseMs ?? DEFAULT_LEASE_MS;
    this.newId = deps.newId ?? (() => randomBytes(5).toString('hex'));
    this.instanceId = deps.instanceId ?? randomBytes(6).toString('hex');
    this.work = new Limiter(deps.maxConcurrentSubmissions ?? 8);
    this.temporary = new TemporaryAccess({
      repository: deps.repository,
      locker: deps.locker,
      wabaFor: (wabaId) => this.accountOf(wabaId).waba,
      maxGrantMsFor: (wabaId) => this.accountOf(wabaId).policy.durations.maxMs,
      notifier: deps.notifier,
      clock: this.clock,
      audit: (requestId, actor, event, detail) => this.audit(requestId, actor, event, detail),
      ...(deps.logger ? { logger: deps.logger } : {}),
    });
  }

  /** Live temporary grants (on one account, when given), soonest end first. */
  async activeGrants(account?: Account): Promise<TemporaryGrant[]> {
    const live = await this.temporary.live();
    return account ? live.filter((grant) => grant.wabaId === account.policy.wabaId) : live;
  }

  /** The account with this alias; unset: the default one. */
  private account(alias?: string): Account | undefined {
    return alias === undefined ? this.deps.accounts.default : this.deps.accounts.byAlias(alias);
  }

  /** The account of a request or grant; throws when it is no longer configured. */
  private accountOf(wabaId: string): Account {
    const account = this.deps.accounts.forWaba(wabaId);
    if (!account) throw new UnconfiguredAccountError(wabaId);
    return account;
  }

  /** One temporary grant, whatever its state. */
  liveGrant(grantId: string): Promise<TemporaryGrant | undefined> {
    return this.deps.repository.getGrant(grantId);
  }

  /** Ends temporary grants whose time has come. */
  expireGrants(): Promise<number> {
    return this.track(this.temporary.endDue());
  }

  /** An approver ends a temporary grant before its time (the person who holds it may too: access only shrinks). */
  revokeGrantNow(grantId: string, actorId: string): Promise<GrantActionResult> {
    return this.track(
      this.asApprover(grantId, actorId, () => this.temporary.end(grantId, actorId), { holderMay: true }),
    );
  }

  /** An approver other than the person concerned settles a conflict found when a grant ended. */
  resolveConflict(grantId: string, choice: 'restore' | 'keep', actorId: string): Promise<GrantActionResult> {
    return this.track(
      this.asApprover(grantId, actorId, () => this.temporary.resolve(grantId, choice, actorId), { holderMay: false }),
    );
  }

  /** A live grant an approver of its account may extend, or why they may not. */
  async extendable(
    grantId: string,
    actorId: string,
  ): Promise<{ kind: 'active'; grant: TemporaryGrant } | GrantRefusal> {
    const check = await this.grantForApprover(grantId, actorId, { holderMay: false });
    if (check.kind !== 'allowed') return check;
    if (check.grant.state !== 'active') return { kind: 'not-live', grant: check.grant };
    return { kind: 'active', grant: check.grant };
  }

  /**
   * The grant, when `actorId` approves on its account (and, unless `holderMay`, is not the person who holds it);
   * why not, otherwise.
   */
  private async grantForApprover(
    grantId: string,
    actorId: string,
    { holderMay }: { holderMay: boolean },
  ): Promise<{ kind: 'allowed'; grant: TemporaryGrant } | GrantRefusal> {
    const grant = await this.deps.repository.getGrant(grantId);
    const account = grant && this.deps.accounts.forWaba(grant.wabaId);
    if (!grant || !account) return { kind: 'not-live', ...(grant ? { grant } : {}) };
    const { approverIds } = account.policy;
    if (!(await account.approvers.isApprover(actorId)))
      return { kind: 'forbidden', reason: 'not-approver', approverIds };
    if (!holderMay && (await this.interestIn({ targetUserId: grant.userId, ...slackPerson(grant) }, actorId)))
      return { kind: 'forbidden', reason: 'beneficiary', approverIds };
    return { kind: 'allowed', grant };
  }

  /**
   * An approver asks for a live temporary grant to last `durationMs` longer; it goes through approval like any
   * request, so another approver decides.
   */
  async submitExtension(input: { grantId: string; durationMs: number; requesterId: string }): Promise<SubmitResult> {
    const check = await this.extendable(input.grantId, input.requesterId);
    if (check.kind === 'forbidden') {
      return check.reason === 'beneficiary'
        ? {
            kind: 'rejected',
            problem: 'This access is yours, so you cannot extend it; nothing was requested.',
            hint: 'Ask another approver of this account to extend it.',
          }
        : {
            kind: 'rejected',
            problem: 'Only approvers can extend access; nothing was requested.',
            hint: 'Ask an approver, or ask for a new grant with `/waba grant …`.',
          };
    }
    if (check.kind === 'not-live') {
      return {
        kind: 'rejected',
        problem: 'That access has already ended, so it cannot be extended.',
        hint: 'Ask for a new grant with `/waba grant …`.',
      };
    }
    const { grant } = check;
    const waiting = await this.openExtensionOf(grant.id);
    if (waiting) {
      return {
        kind: 'rejected',
        problem: `An extension of this access is already waiting (request ${waiting.id}); nothing more was requested.`,
        hint: 'Wait for that one to be decided, or ask its requester to cancel it first.',
      };
    }
    const account = this.accountOf(grant.wabaId);
    const { maxMs } = account.policy.durations;
    const newEnd = new Date(grant.endsAt).getTime() + input.durationMs;
    const remaining = newEnd - this.clock.now().getTime();
    if (remaining > maxMs) {
      return {
        kind: 'rejected',
        problem: `Extended that way, the access would run for ${formatDuration(remaining)} from now, longer than the ${formatDuration(maxMs)} allowed.`,
        hint: `Ask for at most ${formatDuration(Math.max(0, maxMs - (new Date(grant.endsAt).getTime() - this.clock.now().getTime())))} more.`,
      };
    }
    const now = this.clock.now();
    const request: Pending = {
      id: this.newId(),
      state: 'pending',
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
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.requestTtlMs).toISOString(),
      approvalMessages: [],
      decisions: [],
      updatedAt: now.toISOString(),
    };
    return this.track(this.file(request, account));
  }

  /** An extension of this grant not yet decided or carried out: one at a time, so they cannot stack past the limit. */
  private async openExtensionOf(grantId: string): Promise<AccessRequest | undefined> {
    for await (const { request } of this.openRequests()) {
      if (request?.kind === 'extend' && request.grantId === grantId && !isFinal(request)) return request;
    }
    return undefined;
  }

  /** Runs a grant action for an approver of the grant's account. */
  private async asApprover(
    grantId: string,
    actorId: string,
    action: () => Promise<EndResult>,
    who: { holderMay: boolean },
  ): Promise<GrantActionResult> {
    const check = await this.grantForApprover(grantId, actorId, who);
    return check.kind === 'allowed' ? action() : check;
  }

  /** The grant's length under the account's rules, or why it is not allowed. */
  private grantDuration(
    asked: SubmitInput['duration'],
    durations: GrantDurations,
  ): { durationMs?: number } | { problem: string; hint: string } {
    const { defaultMs, maxMs, minMs, allowPermanent } = durations;
    const most = formatDuration(maxMs);
    if (asked === 'permanent' || (asked === undefined && defaultMs === undefined)) {
      if (allowPermanent) return {};
      return {
        problem: 'Permanent grants are switched off here.',
        hint: `Say for how long, e.g. \`/waba grant <id> MESSAGING for 4h\` (at most ${most}).`,
      };
    }
    const durationMs = asked ?? defaultMs!;
    if (durationMs > maxMs) {
      return {
        problem: `${formatDuration(durationMs)} is longer than the longest grant allowed (${most}).`,
        hint: `Ask for ${most} or less; it can be extended later.`,
      };
    }
    if (durationMs < minMs) {
      return {
        problem: `${formatDuration(durationMs)} is shorter than the shortest grant allowed (${formatDuration(minMs)}).`,
        hint: `Ask for at least ${formatDuration(minMs)}.`,
      };
    }
    return { durationMs };
  }

  roster(account: Account): Promise<Roster> {
    return account.waba.roster();
  }

  /** Every WABA a Meta user can reach (asked on the user's own edge, whatever account). */
  accountsOf(userId: string): Promise<AssignedAccount[]> {
    return this.deps.accounts.default.waba.accountsOf(userId);
  }

  async get(id: string): Promise<AccessRequest | undefined> {
    return this.deps.repository.get(id);
  }

  /** Records a request and asks the approvers; rejects at once what would change nothing. */
  submit(input: SubmitInput): Promise<SubmitResult> {
    return this.track(this.work.run(() => this.submitNow(input)));
  }

  private async submitNow(input: SubmitInput): Promise<SubmitResult> {
    const account = this.account(input.account);
    // Resolved here, not by the caller: a reload between the ack and this point may have removed the account.
    if (!account) return { kind: 'rejected', ...unknownAccount(input.account!, this.deps.accounts) };
    const refusal = await requestRefusal(account, { ...input, tasks: input.tasks ?? [] });
    if (refusal) return { kind: 'rejected', ...refusal };
    const { waba } = account;
    const length = input.kind === 'grant' ? this.grantDuration(input.duration, account.policy.durations) : {};
    if ('problem' in length) return { kind: 'rejected', ...length };
    const read = await this.readForFiling(waba, input.userId);
    const current = read.kind === 'holds' ? read : null;
    const requested = input.tasks ?? [];
    let afterTasks: Task[];
    // Each refusal below rests on the fresh read just made; when Meta could not answer, nothing is refused on a
    // guess: the request is filed, says so, and the bot reads again before it writes.
    if (read.kind === 'unknown-user') {
      return {
        kind: 'rejected',
        problem: `Meta does not know a user with id ${input.userId}.`,
        hint: 'Copy the id from Meta Business Settings → Users → People (or System users), then try again.',
      };
    }
    if (input.kind === 'revoke') {
      if (read.kind === 'none') {
        return {
          kind: 'rejected',
          problem: `User ${input.userId} has no access to this WhatsApp Business Account, so there is nothing to revoke.`,
          hint: 'Check the id with `/waba list`.',
        };
      }
      afterTasks = [];
    } else {
      const held = new Set(current?.tasks ?? []);
      if (read.kind === 'holds' && requested.every((task) => held.has(task))) {
        return {
          kind: 'rejected',
          problem: `User ${input.userId} already has ${requested.join(', ')}; nothing to ask for.`,
          hint: 'See everyone’s tasks with `/waba list`.',
        };
      }
      afterTasks = normalizeTasks([...(current?.tasks ?? []), ...requested]);
    }

    const now = this.clock.now();
    const request: Pending = {
      id: this.newId(),
      state: 'pending',
      kind: input.kind,
      wabaId: waba.wabaId,
      accountAlias: account.policy.alias,
      targetUserId: input.userId,
      ...(current?.name ? { targetName: current.name } : {}),
      ...(input.targetSlackId ? { targetSlackId: input.targetSlackId } : {}),
      tasks: requested,
      currentTasks: current?.tasks ?? null,
      ...(read.kind === 'unreadable' ? { currentUnknown: read.why } : {}),
      afterTasks,
      requesterId: input.requesterId,
      originChannelId: input.channelId,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(length.durationMs ? { durationMs: length.durationMs } : {}),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.deps.requestTtlMs).toISOString(),
      approvalMessages: [],
      decisions: [],
      updatedAt: now.toISOString(),
    };
    return this.file(request, account);
  }

  /**
   * What the user holds, read afresh for a new request. Meta being throttled or down does not lose the request: the
   * read is then `unreadable`, with Meta's words for why.
   */
  private async readForFiling(
    waba: Account['waba'],
    userId: string,
  ): Promise<PersonAccess | { kind: 'unreadable'; why: string }> {
    try {
      // Never the roster here: a page per 100 people for each request filed would spend the WABA's budget.
      return await waba.personAccess(userId, { orRoster: false });
    } catch (error) {
      const unreadable =
        error instanceof PersonEdgeError ||
        (error instanceof GraphError && (error.retryable || error.category === 'unknown'));
      if (!unreadable) throw error;
      this.deps.logger?.warn({ err: error, userId }, 'filing a request without knowing current access');
      return { kind: 'unreadable', why: error.message };
    }
  }

  /** Stores a new request and posts its approval message; cancels it when nobody can be asked. */
  private async file(asked: Pending, account: Account): Promise<SubmitResult> {
    // A revoke only takes access away: it needs the default count, whatever the user held.
    const required = approvalsNeeded(account.policy.approvals, asked.kind === 'revoke' ? [] : asked.tasks);
    const possible = await this.possibleApprovers(asked, account);
    if (possible.length < required) {
      return {
        kind: 'rejected',
        problem:
          required > 1
            ? `This request needs ${required} approvals from different approvers, but only ${possible.length} approver(s) other than you and the person it is for can approve it.`
            : 'Nobody but you or the person it is for could approve this request, and neither of you may.',
        hint: `Ask the bot’s admin to add approvers to *${account.policy.alias}*, or to lower the approvals it requires.`,
      };
    }
    const request: Pending = required > 1 ? { ...asked, approvalsRequired: required } : asked;
    await this.persist(request, request.requesterId);

    try {
      const messages = await this.deps.notifier.announce(request);
      const announced: Pending = { ...request, approvalMessages: messages };
      await this.deps.locker.withLock(lockKey(request.id), async () => {
        // A fast approver may already have decided; keep their decision and only add where the messages are.
        const latest = (await this.deps.repository.get(request.id)) ?? announced;
        await this.deps.repository.save({ ...latest, approvalMessages: messages });
      });
      await this.audit(request.id, request.requesterId, 'announced', `${messages.length} message(s)`);
      return { kind: 'submitted', request: announced, account: account.policy };
    } catch (error) {
      // Nobody could be asked, so the request must not wait for an approval that cannot come.
      this.deps.logger?.error({ err: error, requestId: request.id }, 'could not post approval message');
      await this.deps.locker.withLock(lockKey(request.id), async () => {
        const latest = await this.deps.repository.get(request.id);
        if (latest?.state === 'pending') {
          await this.persist(
            cancel(latest, 'system', this.clock.now()),
            'system',
            'approval message could not be posted',
          );
        }
      });
      return {
        kind: 'rejected',
        problem: 'I could not post the approval request, so nothing was requested.',
        hint: 'Make sure the bot is in the approval channel (or can DM approvers), then try again.',
      };
    }
  }

  /** The account's approvers who may decide this request: neither its requester nor the person it is for. */
  private async possibleApprovers(request: AccessRequest, account: Account): Promise<string[]> {
    const possible: string[] = [];
    for (const approver of await account.approvers.approverUserIds()) {
      if (!(await this.interestIn(request, approver))) possible.push(approver);
    }
    return possible;
  }

  /** Whether `actorId` may approve or deny request `id`, without changing it. */
  async verdict(id: string, actorId: string): Promise<DecideResult | { kind: 'allowed'; request: AccessRequest }> {
    const request = await this.deps.repository.get(id);
    if (!request) return { kind: 'not-found' };
    if (request.state !== 'pending') return { kind: 'already', request };
    return this.mayDecide(request, actorId);
  }

  /** Whether `actorId` may decide `request` under its account's approvers. */
  private async mayDecide(
    request: AccessRequest,
    actorId: string,
  ): Promise<
    Extract<DecideResult, { kind: 'forbidden' | 'unconfigured' }> | { kind: 'allowed'; request: AccessRequest }
  > {
    const account = this.deps.accounts.forWaba(request.wabaId);
    if (!account) return { kind: 'unconfigured', request };
    const interest = await this.interestIn(request, actorId);
    const verdict = interest
      ? { allowed: false as const, reason: interest }
      : await account.approvers.canDecide(request, actorId);
    if (verdict.allowed) return { kind: 'allowed', request };
    return { kind: 'forbidden', reason: verdict.reason, request, approverIds: account.policy.approverIds };
  }

  /**
   * Why `actorId` stands to gain from a request or grant, if they do: they asked for it, or it is about them — the
   * Slack person it names, or whoever is linked to its Meta user.
   */
  private async interestIn(
    about: { requesterId?: string; targetSlackId?: string; targetUserId: string },
    actorId: string,
  ): Promise<'own-request' | 'beneficiary' | undefined> {
    if (about.requesterId === actorId) return 'own-request';
    if (about.targetSlackId === actorId) return 'beneficiary';
    return (await this.metaIdOf(actorId)) === about.targetUserId ? 'beneficiary' : undefined;
  }

  private async metaIdOf(slackId: string): Promise<string | undefined> {
    return slackId === 'system' ? undefined : this.deps.identities?.metaIdOf(slackId);
  }

  /**
   * The request with earlier approvals set aside whose approvers became the person it is for since (a link made
   * after they approved): a vote for oneself does not count, whenever the link was made.
   */
  private async withoutInterestedVotes(request: Pending, now: Date): Promise<Pending> {
    const interested = new Set<string>();
    for (const approval of approvalsOf(request)) {
      if (await this.interestIn(request, approval.by)) interested.add(approval.by);
    }
    if (interested.size === 0) return request;
    await this.audit(request.id, 'system', 'approval-set-aside', [...interested].join(', '));
    return setAsideApprovals(request, interested, now);
  }

  /** Whether an earlier approval came from the same human: the same Meta user behind another Slack id. */
  private async approvedAlreadyAs(request: AccessRequest, metaUserId: string | undefined): Promise<boolean> {
    if (!metaUserId) return false;
    for (const approval of approvalsOf(request)) {
      if ((approval.asMetaUser ?? (await this.metaIdOf(approval.by))) === metaUserId) return true;
    }
    return false;
  }

  /**
   * Approves or denies. Concurrent clicks, in this process or another replica, are serialised by the request's
   * lock: exactly one moves it out of pending, and only that one calls Graph.
   */
  decide(input: {
    requestId: string;
    actorId: string;
    decision: 'approve' | 'deny';
    reason?: string;
  }): Promise<DecideResult> {
    return this.track(this.decideNow(input));
  }

  private async decideNow(input: {
    requestId: string;
    actorId: string;
    decision: 'approve' | 'deny';
    reason?: string;
  }): Promise<DecideResult> {
    const check = await this.verdict(input.requestId, input.actorId);
    if (check.kind !== 'allowed') return check;

    let claimed: { kind: 'executing'; request: Executing } | DecideResult;
    try {
      claimed = await this.deps.locker.withLock(lockKey(input.requestId), async () => {
        const request = await this.deps.repository.get(input.requestId);
        if (!request) return { kind: 'not-found' } as const;
        if (request.state !== 'pending') return { kind: 'already', request } as const;
        const now = this.clock.now();
        if (isOverdue(request, now)) {
          const expired = expire(request, now);
          await this.persist(expired, 'system');
          return { kind: 'already', request: expired } as const;
        }
        if (input.decision === 'deny') {
          const denied = deny(request, input.actorId, now, input.reason);
          await this.persist(denied, input.actorId, input.reason);
          return { kind: 'done', request: denied } as const;
        }
        if (hasApproved(request, input.actorId)) return { kind: 'duplicate', request } as const;
        const asMetaUser = await this.metaIdOf(input.actorId);
        if (await this.approvedAlreadyAs(request, asMetaUser)) {
          const approverIds = this.deps.accounts.forWaba(request.wabaId)?.policy.approverIds ?? [];
          return { kind: 'forbidden', reason: 'same-person', request, approverIds } as const;
        }
        const approved = approve(await this.withoutInterestedVotes(request, now), input.actorId, now, asMetaUser);
        if (approved.state === 'pending') {
          await this.deps.repository.save(approved);
          const progress = `${approvalsOf(approved).length} of ${approvalsRequired(approved)}`;
          await this.audit(request.id, input.actorId, 'approval-recorded', progress);
          return { kind: 'progress', request: approved } as const;
        }
        await this.persist(approved, input.actorId);
        const executing = startExecution(approved, now, this.leaseMs, this.instanceId);
        await this.persist(executing, 'system');
        return { kind: 'executing', request: executing } as const;
      });
    } catch (error) {
      if (error instanceof LockBusyError) return { kind: 'busy' };
      throw error;
    }

    if (claimed.kind === 'executing') return { kind: 'done', request: await this.execute(claimed.request) };
    if (
      claimed.kind === 'done' ||
      claimed.kind === 'progress' ||
      (claimed.kind === 'already' && claimed.request.state === 'expired')
    ) {
      await this.notify(claimed.request);
    }
    return claimed;
  }

  /** An approver sends a failed request to Graph once more. */
  retry(input: { requestId: string; actorId: string }): Promise<DecideResult> {
    return this.track(this.retryNow(input));
  }

  private async retryNow(input: { requestId: string; actorId: string }): Promise<DecideResult> {
    const request = await this.deps.repository.get(input.requestId);
    if (!request) return { kind: 'not-found' };
    if (request.state !== 'failed') return { kind: 'already', request };
    const verdict = await this.mayDecide(request, input.actorId);
    if (verdict.kind !== 'allowed') return verdict;
    const refused = this.retryRefusal(request);
    if (refused) return { kind: 'retry-refused', request, ...refused };
    let executing: Executing | undefined;
    try {
      executing = await this.deps.locker.withLock(lockKey(input.requestId), async () => {
        const latest = await this.deps.repository.get(input.requestId);
        if (latest?.state !== 'failed') return undefined;
        const now = this.clock.now();
        const approved = retry(latest, input.actorId, now);
        await this.persist(approved, input.actorId, 'retry');
        const started = startExecution(approved, now, this.leaseMs, this.instanceId);
        await this.persist(started, 'system');
        return started;
      });
    } catch (error) {
      if (error instanceof LockBusyError) return { kind: 'busy' };
      throw error;
    }
    if (!executing) {
      const latest = await this.deps.repository.get(input.requestId);
      return latest ? { kind: 'already', request: latest } : { kind: 'not-found' };
    }
    return { kind: 'done', request: await this.execute(executing) };
  }

  /** Why a failed request may not be sent again under the policy in force now, if it may not. */
  private retryRefusal(
    request: Extract<AccessRequest, { state: 'failed' }>,
  ): { problem: string; hint: string } | undefined {
    const again = 'Ask for it again with `/waba grant …` so it is decided under today’s rules.';
    if (new Date(request.finishedAt).getTime() + this.deps.requestTtlMs <= this.clock.now().getTime()) {
      return {
        problem: `This request failed more than ${formatDuration(this.deps.requestTtlMs)} ago, so it can no longer be retried; nothing was sent.`,
        hint: again,
      };
    }
    const { policy } = this.accountOf(request.wabaId);
    const gives = request.kind === 'revoke' ? [] : request.tasks;
    const barred = request.kind === 'grant' ? gives.filter((task) => !policy.tasks.includes(task)) : [];
    if (barred.length > 0) {
      return {
        problem: `${barred.join(', ')} can no longer be requested on ${policy.alias}, so this request cannot be retried; nothing was sent.`,
        hint: `Tasks that can be requested there now: ${policy.tasks.join(', ')}.`,
      };
    }
    const needed = approvalsNeeded(policy.approvals, gives);
    const approvals = approvalsOf(request).length;
    if (needed > approvals) {
      return {
        problem: `This request now needs ${needed} approvals and had ${approvals}, so it cannot be retried; nothing was sent.`,
        hint: again,
      };
    }
    return undefined;
  }

  /** Expires pending requests past their time. Returns how many it expired. */
  expireDue(): Promise<number> {
    return this.track(this.expireDueNow());
  }

  private async expireDueNow(): Promise<number> {
    let count = 0;
    for await (const { id, request: seen } of this.openRequests()) {
      if (!isOverdue(seen, this.clock.now())) continue;
      const expired = await this.withRequestLock(id, async () => {
        const request = await this.deps.repository.get(id);
        if (!request || !isOverdue(request, this.clock.now())) return undefined;
        const next = expire(request, this.clock.now());
        await this.persist(next, 'system');
        return next;
      });
      if (expired) {
        count++;
        await this.notify(expired);
      }
    }
    return count;
  }

  /** A person's open requests, and the pending ones waiting for their decision (newest first). */
  async requestsOf(userId: string): Promise<{ mine: AccessRequest[]; toDecide: Pending[] }> {
    const open = await this.load(await this.deps.repository.openIds());
    const mine = open.filter((request) => request.requesterId === userId);
    // Approver of which accounts: asked once per account, not once per request.
    const isApproverOn = oncePer(
      async (wabaId) => (await this.deps.accounts.forWaba(wabaId)?.approvers.isApprover(userId)) ?? false,
    );
    const toDecide: Pending[] = [];
    for (const request of open) {
      if (request.state !== 'pending' || hasApproved(request, userId)) continue;
      if ((await isApproverOn(request.wabaId)) && !(await this.interestIn(request, userId))) toDecide.push(request);
    }
    return { mine: newestFirst(mine), toDecide: newestFirst(toDecide) };
  }

  /** Finished requests a person made or decided, newest first. */
  async recentOf(userId: string, limit = 10): Promise<AccessRequest[]> {
    const recent = await this.load(await this.deps.repository.recentlyFinishedIds());
    const involved = recent.filter(
      (request) => request.requesterId === userId || request.decisions.some((decision) => decision.by === userId),
    );
    return involved.slice(0, limit);
  }

  private async load(ids: string[]): Promise<AccessRequest[]> {
    const requests = await Promise.all(ids.map((id) => this.deps.repository.get(id)));
    return requests.filter((request): request is AccessRequest => request !== undefined);
  }

  /** The requester withdraws a request nobody has decided yet. */
  cancel(input: { requestId: string; actorId: string }): Promise<CancelResult> {
    return this.track(this.cancelNow(input));
  }

  private async cancelNow(input: { requestId: string; actorId: string }): Promise<CancelResult> {
    const result: CancelResult = (await this.withRequestLock(input.requestId, async () => {
      const request = await this.deps.repository.get(input.requestId);
      if (!request) return { kind: 'not-found' } as const;
      if (request.requesterId !== input.actorId) return { kind: 'not-requester', request } as const;
      if (request.state !== 'pending') return { kind: 'already', request } as const;
      const canceled = cancel(request, input.actorId, this.clock.now());
      await this.persist(canceled, input.actorId);
      return { kind: 'done', request: canceled } as const;
    })) ?? { kind: 'busy' };
    if (result.kind === 'done') await this.notify(result.request);
    return result;
  }

  /** Reminds approvers, once, of requests that have waited longer than `remindAfterMs`. */
  remindDue(): Promise<number> {
    return this.track(this.remindDueNow());
  }

  private async remindDueNow(): Promise<number> {
    const after = this.deps.remindAfterMs;
    if (after === undefined) return 0;
    const isDue = (request: AccessRequest | undefined): request is Pending =>
      request?.state === 'pending' &&
      !request.remindedAt &&
      new Date(request.createdAt).getTime() + after <= this.clock.now().getTime();
    // Asked of Slack once per account per sweep, and only when someone is due.
    const approversOf = oncePer(
      async (wabaId) => (await this.deps.accounts.forWaba(wabaId)?.approvers.approverUserIds()) ?? [],
    );
    let count = 0;
    for await (const { id, request: seen } of this.openRequests()) {
      if (!isDue(seen)) continue;
      // Marked under the request's lock before anyone is told: each request is reminded of once, by one process.
      const due = await this.withRequestLock(id, async () => {
        const request = await this.deps.repository.get(id);
        if (!isDue(request)) return undefined;
        const now = this.clock.now().toISOString();
        const marked: Pending = { ...request, remindedAt: now, updatedAt: now };
        await this.deps.repository.save(marked);
        return marked;
      });
      if (!due) continue;
      const approvers: string[] = [];
      for (const approver of await approversOf(due.wabaId)) {
        if (!hasApproved(due, approver) && !(await this.interestIn(due, approver))) approvers.push(approver);
      }
      try {
        await this.deps.notifier.remind(due, approvers);
        await this.audit(id, 'system', 'reminded', `${approvers.length} approver(s)`);
        count++;
      } catch (error) {
        this.deps.logger?.warn({ err: error, requestId: id }, 'could not remind approvers');
      }
    }
    return count;
  }

  /**
   * Carries on with requests approved but not finished by a process that is gone (at start, and on every sweep).
   * Each write is preceded by a fresh read (a grant sends nothing when the user already holds the tasks; a revoke
   * nothing when the user is gone), so a request whose write landed just before a crash is not sent again.
   */
  recover(): Promise<number> {
    return this.track(this.recoverNow());
  }

  private async recoverNow(): Promise<number> {
    const resumed: Promise<AccessRequest>[] = [];
    for await (const { id, request: seen } of this.openRequests()) {
      // A pending request has no work to resume; skipping it here spares a lock per request on every sweep.
      if (seen?.state === 'pending') continue;
      const executing = await this.withRequestLock(id, async () => {
        const request = await this.deps.repository.get(id);
        if (!request || isFinal(request)) {
          await this.deps.repository.setOpen(id, false);
          return undefined;
        }
        const now = this.clock.now();
        if (!(await this.isOrphaned(request, now))) return undefined;
        const next = startExecution(request, now, this.leaseMs, this.instanceId);
        await this.persist(next, 'system', 'resumed: its process stopped before finishing');
        return next;
      });
      if (executing) {
        this.deps.logger?.info({ requestId: id }, 'resuming interrupted request');
        // Side by side: one request waiting on its user's lock must not hold up the rest.
        resumed.push(this.execute(executing));
      }
    }
    await Promise.allSettled(resumed);
    return resumed.length;
  }

  /** Whether a request was left half-done by a process that is no longer working on it. */
  private async isOrphaned(request: AccessRequest, now: Date): Promise<boolean> {
    if (request.state === 'approved') return true;
    if (request.state !== 'executing' || request.executor === this.instanceId) return false;
    if (!this.deps.sharedStore || new Date(request.leaseUntil) <= now) return true;
    return request.executor !== undefined && !(await this.deps.repository.isAlive(request.executor));
  }

  /** Resolves when every operation under way (submissions, decisions, Graph changes) has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async auditOf(id: string) {
    return this.deps.repository.auditOf(id);
  }

  private execute(request: Executing): Promise<AccessRequest> {
    return this.track(this.runExecution(request));
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  private async runExecution(request: Executing): Promise<AccessRequest> {
    let final: AccessRequest;
    let grant: TemporaryGrant | undefined;
    try {
      if (request.kind === 'grant') {
        const result = await this.temporary.applyGrant(request);
        final = succeed(request, this.clock.now(), result.resultTasks);
        grant = result.grant;
      } else if (request.kind === 'extend') {
        grant = await this.temporary.applyExtension(request);
        final = succeed(request, this.clock.now(), grant.tasks);
      } else {
        const removed = await this.temporary.applyRevoke(request);
        final = succeed(request, this.clock.now(), [], removed ? undefined : 'The user had no access any more.');
      }
    } catch (error) {
      this.deps.logger?.warn({ err: error, requestId: request.id }, 'graph change failed');
      final = fail(request, this.clock.now(), toExecutionError(error));
    }
    await this.deps.locker.withLock(lockKey(request.id), () => this.persist(final, 'system'), { waitMs: 15_000 });
    await this.notify(final, grant);
    return final;
  }

  /**
   * Open requests for a sweep, read without their locks (a sweep re-reads under the lock before it acts). Sweeps
   * are background work: they pause every few requests so acks for people waiting are not held up behind them.
   */
  private async *openRequests(): AsyncGenerator<{ id: string; request?: AccessRequest }> {
    let read = 0;
    for (const id of await this.deps.repository.openIds()) {
      if (++read % SWEEP_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
      yield { id, request: await this.deps.repository.get(id) };
    }
  }

  private async withRequestLock<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.deps.locker.withLock(lockKey(id), fn);
    } catch (error) {
      if (error instanceof LockBusyError) return undefined;
      throw error;
    }
  }

  private async persist(request: AccessRequest, actor: string, detail?: string): Promise<void> {
    await this.deps.repository.save(request);
    await this.deps.repository.setOpen(request.id, !isFinal(request));
    if (isFinal(request)) await this.deps.repository.noteFinished(request.id);
    await this.audit(request.id, actor, request.state, detail);
  }

  private async audit(
    requestId: string,
    actor: string,
    event: Parameters<RequestRepository['appendAudit']>[0]['event'],
    detail?: string,
  ) {
    const entry = { requestId, at: this.clock.now().toISOString(), actor, event, ...(detail ? { detail } : {}) };
    await this.deps.repository.appendAudit(entry);
    this.deps.logger?.info({ audit: entry }, `request ${requestId} ${event}`);
  }

  private async notify(request: AccessRequest, grant?: TemporaryGrant): Promise<void> {
    try {
      await this.deps.notifier.changed(request, grant);
    } catch (error) {
      // The state is saved; a failed Slack update must not undo or repeat the Graph change.
      this.deps.logger?.error({ err: error, requestId: request.id }, 'could not tell Slack about a request');
      await this.audit(request.id, 'system', 'notify-failed', error instanceof Error ? error.message : String(error));
    }
  }
}

export function toExecutionError(error: unknown): ExecutionError {
  if (error instanceof GraphError) {
    return {
      message: error.message,
      category: error.category,
      ...(error.code === undefined ? {} : { code: error.code }),
      ...(error.subcode === undefined ? {} : { subcode: error.subcode }),
      ...(error.fbtraceId ? { fbtraceId: error.fbtraceId } : {}),
      ...(error.userMessage ? { userMessage: error.userMessage } : {}),
      ...(error.retryAt ? { retryAt: error.retryAt.toISOString() } : {}),
    };
  }
  if (error instanceof GraphInputError) return { message: error.message, category: 'invalid' };
  if (
    error instanceof GrantNotLiveError ||
    error instanceof UnconfiguredAccountError ||
    error instanceof ExtensionTooLongError
  )
    return { message: error.message, category: 'invalid' };
  return { message: 'An unexpected error stopped the change; the logs have the details.', category: 'unknown' };
}
