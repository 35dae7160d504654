import type { Ledger, TemporaryGrant } from './grants.js';
import type { AccessRequest, MessageRef, Pending, RequestState } from './request.js';

/** One line of the audit log: a request moved to `state` because of `actor` (a Slack user id or `system`). */
export interface AuditEntry {
  requestId: string;
  at: string;
  actor: string;
  event:
    | AccessRequest['state']
    | 'announced'
    | 'approval-recorded'
    | 'approval-set-aside'
    | 'reminded'
    | 'notify-failed'
    | 'grant-started'
    | 'grant-extended'
    | 'grant-ended'
    | 'grant-conflict'
    | 'expiry-notice-sent'
    | 'break-glass-refused'
    | 'break-glass-reviewed'
    | 'break-glass-reminded';
  detail?: string;
  /** The account's WABA, whose hash chain the entry joins; entries written before chains existed lack it. */
  wabaId?: string;
  /** The account's alias when the entry was written. */
  account?: string;
}

/** How a request moves on: from the version it was read at, with the audit entry that records the move. */
export interface TransitionOptions {
  /** The version the request was read at (`request.version`); 0 for a new request or one stored without a version. */
  expectedVersion: number;
  /** Written in the same write as the request: both land, or neither. */
  audit?: AuditEntry;
}

/**
 * Where requests live. A request changes only by a transition: a conditional write that succeeds from the version
 * the writer read, and never after the writer lost a lock it holds. Writes to one request also happen under that
 * request's lock, so a conflict means the lock was lost or bypassed, not ordinary contention.
 */
export interface RequestRepository {
  /** The request with the version it is stored at (0 when it was stored before requests had versions). */
  get(id: string): Promise<AccessRequest | undefined>;
  /**
   * Writes `next` if the stored version is still `expectedVersion`, appending `audit` in the same write. Returns
   * `next` as stored, with its new version. Throws TransitionConflictError when someone else wrote first, and
   * LockLostError when a lock the caller holds was lost (its holder must stop writing).
   */
  transition<T extends AccessRequest>(next: T, options: TransitionOptions): Promise<T>;
  /** Ids of requests not yet final (pending, approved, executing). */
  openIds(): Promise<string[]>;
  setOpen(id: string, open: boolean): Promise<void>;
  /** Records that a request reached a final state, for recent activity (the latest few hundred are kept). */
  noteFinished(id: string): Promise<void>;
  /** Ids of recently finished requests, newest first. */
  recentlyFinishedIds(): Promise<string[]>;
  appendAudit(entry: AuditEntry): Promise<void>;
  auditOf(id: string): Promise<AuditEntry[]>;

  /**
   * Ids of requests that failed and have not ended otherwise since (retried to an end, or expired): those whose Retry
   * window the expiry sweep watches. A request being retried stays listed until it ends again.
   */
  retryableIds(): Promise<string[]>;
  setRetryable(id: string, retryable: boolean): Promise<void>;

  /** Ids of break-glass requests no approver has reviewed yet. */
  awaitingReviewIds(): Promise<string[]>;
  setAwaitingReview(id: string, awaiting: boolean): Promise<void>;

  getGrant(id: string): Promise<TemporaryGrant | undefined>;
  saveGrant(grant: TemporaryGrant): Promise<void>;
  /** Ids of grants not yet ended (active, or waiting for a conflict to be settled). */
  liveGrantIds(): Promise<string[]>;
  setGrantLive(id: string, live: boolean): Promise<void>;
  /** Records that process `instanceId` is alive for the next `ttlMs`. */
  heartbeat(instanceId: string, ttlMs: number): Promise<void>;
  isAlive(instanceId: string): Promise<boolean>;

  getLedger(wabaId: string, userId: string): Promise<Ledger | undefined>;
  /** Saves a user's ledger; undefined deletes it. */
  saveLedger(wabaId: string, userId: string, ledger: Ledger | undefined): Promise<void>;
}

/** A transition found the request at another version than the one its writer read: someone else moved it first. */
export class TransitionConflictError extends Error {
  constructor(
    readonly requestId: string,
    readonly expectedVersion: number,
    readonly foundVersion: number,
  ) {
    super(`Request ${requestId} is at version ${foundVersion}, not ${expectedVersion}: it was changed meanwhile.`);
    this.name = 'TransitionConflictError';
  }
}

export class LockBusyError extends Error {
  constructor(key: string) {
    super(`${key} is locked by another worker.`);
    this.name = 'LockBusyError';
  }
}

/** A lock could not be renewed (it expired, or someone else holds it now): its holder must stop writing. */
export class LockLostError extends Error {
  constructor(key: string) {
    super(`The lock on ${key} was lost before the work under it finished.`);
    this.name = 'LockLostError';
  }
}

/** Whether an error means another worker holds or changed the same thing: the person may simply try again. */
export function isContention(error: unknown): error is LockBusyError | LockLostError | TransitionConflictError {
  return error instanceof LockBusyError || error instanceof LockLostError || error instanceof TransitionConflictError;
}

/** A lock being held. `signal` aborts (with a LockLostError) when the lock is lost; the store's writes check it. */
export interface HeldLock {
  readonly key: string;
  readonly signal: AbortSignal;
}

/** Mutual exclusion per key; across replicas when the store is shared. */
export interface Locker {
  /** Runs `fn` holding the lock; throws LockBusyError when it cannot be had within `waitMs`. */
  withLock<T>(
    key: string,
    fn: (lock: HeldLock) => Promise<T>,
    options?: { waitMs?: number; ttlMs?: number },
  ): Promise<T>;
}

/** Tells people about requests; implemented by the Slack layer. */
export interface RequestNotifier {
  /** Posts the approval message(s) for a new request; returns where they are. */
  announce(request: Pending): Promise<MessageRef[]>;
  /** A request reached a new state: update the approval messages, tell the origin channel and the requester. */
  changed(request: AccessRequest, grant?: TemporaryGrant): Promise<void>;
  /** A request has waited long: remind these approvers of it, once. */
  remind(request: Pending, approverIds: string[]): Promise<void>;
  /**
   * A temporary grant was extended, ended or hit a conflict; returns where a conflict question was posted. One its
   * holder was done with (`earlyEnd: 'done'`) is also told to the approvers.
   */
  grantChanged(grant: TemporaryGrant, request: AccessRequest): Promise<MessageRef[]>;
  /** A temporary grant ends soon: tell these people (who asked for it, and who holds it), once. */
  grantEndingSoon(grant: TemporaryGrant, request: AccessRequest, people: readonly string[]): Promise<void>;
  /**
   * Break-glass was used: tell the account's approvers at once, where they decide and by DM to each; returns where,
   * so the messages can be updated as the access is carried out, reviewed and ends.
   */
  announceEmergency(request: AccessRequest): Promise<MessageRef[]>;
  /** A break-glass use was reviewed: update its messages and tell who used it. */
  emergencyReviewed(request: AccessRequest, grant?: TemporaryGrant): Promise<void>;
  /** Nobody has reviewed a break-glass use for long: remind these approvers, once. */
  remindReview(request: AccessRequest, approverIds: readonly string[]): Promise<void>;
}

/** Which Meta business user a Slack person is, as the directory knows it. */
export interface Identities {
  metaIdOf(slackId: string): Promise<string | undefined>;
}

/** What the domain reports for monitoring: counts of what happened, nothing about who. */
export interface AccessMetrics {
  /** A request moved to `state`: a new request enters `pending`, each attempt on Graph enters `executing`. */
  stateEntered(state: RequestState): void;
  /** A click on Approve or Deny, or on Retry, and the kind of outcome it had (`done`, `forbidden`, …). */
  decided(decision: 'approve' | 'deny' | 'retry', outcome: string): void;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
