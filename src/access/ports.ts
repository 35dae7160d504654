import type { Ledger, TemporaryGrant } from './grants.js';
import type { AccessRequest, MessageRef, Pending } from './request.js';

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
    | 'grant-conflict';
  detail?: string;
}

/** Where requests live. Writes to one request happen under that request's lock. */
export interface RequestRepository {
  get(id: string): Promise<AccessRequest | undefined>;
  save(request: AccessRequest): Promise<void>;
  /** Ids of requests not yet final (pending, approved, executing). */
  openIds(): Promise<string[]>;
  setOpen(id: string, open: boolean): Promise<void>;
  /** Records that a request reached a final state, for recent activity (the latest few hundred are kept). */
  noteFinished(id: string): Promise<void>;
  /** Ids of recently finished requests, newest first. */
  recentlyFinishedIds(): Promise<string[]>;
  appendAudit(entry: AuditEntry): Promise<void>;
  auditOf(id: string): Promise<AuditEntry[]>;

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

export class LockBusyError extends Error {
  constructor(key: string) {
    super(`${key} is locked by another worker.`);
    this.name = 'LockBusyError';
  }
}

/** Mutual exclusion per key; across replicas when the store is shared. */
export interface Locker {
  /** Runs `fn` holding the lock; throws LockBusyError when it cannot be had within `waitMs`. */
  withLock<T>(key: string, fn: () => Promise<T>, options?: { waitMs?: number; ttlMs?: number }): Promise<T>;
}

/** Tells people about requests; implemented by the Slack layer. */
export interface RequestNotifier {
  /** Posts the approval message(s) for a new request; returns where they are. */
  announce(request: Pending): Promise<MessageRef[]>;
  /** A request reached a new state: update the approval messages, tell the origin channel and the requester. */
  changed(request: AccessRequest, grant?: TemporaryGrant): Promise<void>;
  /** A request has waited long: remind these approvers of it, once. */
  remind(request: Pending, approverIds: string[]): Promise<void>;
  /** A temporary grant was extended, ended or hit a conflict; returns where a conflict question was posted. */
  grantChanged(grant: TemporaryGrant, request: AccessRequest): Promise<MessageRef[]>;
}

/** Which Meta business user a Slack person is, as the directory knows it. */
export interface Identities {
  metaIdOf(slackId: string): Promise<string | undefined>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
