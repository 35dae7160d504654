import type Keyv from 'keyv';
import { grantSchema, type Ledger, ledgerSchema, type TemporaryGrant } from '../access/grants.js';
import {
  type AuditEntry,
  LockLostError,
  type RequestRepository,
  TransitionConflictError,
  type TransitionOptions,
} from '../access/ports.js';
import { type AccessRequest, accessRequestSchema } from '../access/request.js';
import { type AuditFacts, GLOBAL_CHAIN } from '../audit/chain.js';
import { assertLocksHeld, redisFences } from './held-locks.js';
import {
  type IdIndex,
  type RecentIndex,
  RedisIdIndex,
  RedisRecentIndex,
  type RedisSetClient,
  SnapshotIdIndex,
} from './id-index.js';
import { type AuditWrite, MemoryRecords, type RequestRecords } from './request-records.js';

const OPEN_INDEX = 'open-requests';
const LIVE_GRANTS_INDEX = 'live-grants';
const AWAITING_REVIEW_INDEX = 'break-glass-awaiting-review';
const RETRYABLE_INDEX = 'retryable-requests';
const requestKey = (id: string) => `request:${id}`;
const auditKey = (id: string) => `audit:${id}`;
const grantKey = (id: string) => `grant:${id}`;
const ledgerKey = (wabaId: string, userId: string) => `ledger:${wabaId}:${userId}`;

export interface RepositoryIndexes {
  open: IdIndex;
  liveGrants: IdIndex;
  recent: RecentIndex;
  /** Break-glass uses no approver has reviewed yet. */
  awaitingReview: IdIndex;
  /**
   * Failed requests not yet expired. Kept apart from `open`, whose readers (expiry, reminders, recovery, the
   * request lists) take every member for undecided or under way; this one only the expiry sweep reads.
   */
  retryable: IdIndex;
}

/** How many finished requests the recent-activity list keeps. */
const RECENT_LIMIT = 200;
const RECENT_INDEX = 'recent-requests';

/** The indexes of a store one process owns, kept beside the records in the same Keyv. */
export function snapshotIndexes(keyv: Keyv): RepositoryIndexes {
  return {
    open: new SnapshotIdIndex(keyv, OPEN_INDEX),
    liveGrants: new SnapshotIdIndex(keyv, LIVE_GRANTS_INDEX),
    recent: new SnapshotIdIndex(keyv, RECENT_INDEX),
    awaitingReview: new SnapshotIdIndex(keyv, AWAITING_REVIEW_INDEX),
    retryable: new SnapshotIdIndex(keyv, RETRYABLE_INDEX),
  };
}

/** Shared indexes in Redis, moved from the single-key form of earlier versions on first use. */
export function redisIndexes(client: RedisSetClient, keyv: Keyv, prefix: string): RepositoryIndexes {
  const index = (name: string) => new RedisIdIndex(client, `${prefix}${name}`, { keyv, key: name });
  return {
    open: index(OPEN_INDEX),
    liveGrants: index(LIVE_GRANTS_INDEX),
    recent: new RedisRecentIndex(client, `${prefix}${RECENT_INDEX}`),
    // New with break-glass: no earlier single-key form to move.
    awaitingReview: new RedisIdIndex(client, `${prefix}${AWAITING_REVIEW_INDEX}`),
    retryable: new RedisIdIndex(client, `${prefix}${RETRYABLE_INDEX}`),
  };
}

/**
 * Requests and their audit log in versioned records (see request-records.ts); the index of open ones, grants and
 * ledgers in any Keyv store. Requests and audit entries written before requests had versions stay in Keyv, where
 * they are still read: such a request is at version 0 until its first transition moves it to the records.
 */
export class KeyvRequestRepository implements RequestRepository {
  constructor(
    private readonly keyv: Keyv,
    private readonly records: RequestRecords = new MemoryRecords(),
    private readonly indexes: RepositoryIndexes = snapshotIndexes(keyv),
  ) {}

  async get(id: string): Promise<AccessRequest | undefined> {
    const stored = await this.records.read(id);
    if (stored) return { ...accessRequestSchema.parse(JSON.parse(stored.body)), version: stored.version };
    const legacy = await this.keyv.get(requestKey(id));
    return legacy === undefined ? undefined : { ...accessRequestSchema.parse(legacy), version: 0 };
  }

  async transition<T extends AccessRequest>(next: T, options: TransitionOptions): Promise<T> {
    const { version: _read, ...request } = accessRequestSchema.parse(next);
    // Checked here for every store; Redis checks its locks again inside the write, where no pause can split them.
    assertLocksHeld();
    const outcome = await this.records.write(
      next.id,
      options.expectedVersion,
      JSON.stringify(request),
      options.audit ? auditWrite(options.audit, next) : undefined,
      redisFences(),
    );
    if (outcome.kind === 'conflict') throw new TransitionConflictError(next.id, options.expectedVersion, outcome.found);
    if (outcome.kind === 'lock-lost') throw new LockLostError(outcome.redisKey);
    return { ...next, version: outcome.version };
  }

  openIds(): Promise<string[]> {
    return this.indexes.open.members();
  }

  setOpen(id: string, open: boolean): Promise<void> {
    return open ? this.indexes.open.add(id) : this.indexes.open.remove(id);
  }

  noteFinished(id: string): Promise<void> {
    return this.indexes.recent.touch(id, RECENT_LIMIT);
  }

  async recentlyFinishedIds(): Promise<string[]> {
    return (await this.indexes.recent.members()).reverse();
  }

  retryableIds(): Promise<string[]> {
    return this.indexes.retryable.members();
  }

  setRetryable(id: string, retryable: boolean): Promise<void> {
    return retryable ? this.indexes.retryable.add(id) : this.indexes.retryable.remove(id);
  }

  awaitingReviewIds(): Promise<string[]> {
    return this.indexes.awaitingReview.members();
  }

  setAwaitingReview(id: string, awaiting: boolean): Promise<void> {
    return awaiting ? this.indexes.awaitingReview.add(id) : this.indexes.awaitingReview.remove(id);
  }

  async getGrant(id: string): Promise<TemporaryGrant | undefined> {
    const raw = await this.keyv.get(grantKey(id));
    return raw === undefined ? undefined : grantSchema.parse(raw);
  }

  async saveGrant(grant: TemporaryGrant): Promise<void> {
    assertLocksHeld();
    await this.keyv.set(grantKey(grant.id), grantSchema.parse(grant));
  }

  liveGrantIds(): Promise<string[]> {
    return this.indexes.liveGrants.members();
  }

  /** How many requests are open and grants live, from the indexes' sizes: one read each, whatever the counts. */
  async counts(): Promise<{ openRequests: number; liveGrants: number }> {
    const [openRequests, liveGrants] = await Promise.all([this.indexes.open.size(), this.indexes.liveGrants.size()]);
    return { openRequests, liveGrants };
  }

  setGrantLive(id: string, live: boolean): Promise<void> {
    return live ? this.indexes.liveGrants.add(id) : this.indexes.liveGrants.remove(id);
  }

  async heartbeat(instanceId: string, ttlMs: number): Promise<void> {
    await this.keyv.set(`instance:${instanceId}`, Date.now(), ttlMs);
  }

  async isAlive(instanceId: string): Promise<boolean> {
    return (await this.keyv.get(`instance:${instanceId}`)) !== undefined;
  }

  async getLedger(wabaId: string, userId: string): Promise<Ledger | undefined> {
    const raw = await this.keyv.get(ledgerKey(wabaId, userId));
    return raw === undefined ? undefined : ledgerSchema.parse(raw);
  }

  async saveLedger(wabaId: string, userId: string, ledger: Ledger | undefined): Promise<void> {
    assertLocksHeld();
    if (ledger) await this.keyv.set(ledgerKey(wabaId, userId), ledgerSchema.parse(ledger));
    else await this.keyv.delete(ledgerKey(wabaId, userId));
  }

  /** Appends a fact (a notice sent, a grant ended); it is recorded even when its writer has lost a lock since. */
  async appendAudit(entry: AuditEntry): Promise<void> {
    const request = entry.wabaId ? undefined : await this.get(entry.requestId);
    await this.records.appendAudit(entry.requestId, auditWrite(entry, request));
  }

  async auditOf(id: string): Promise<AuditEntry[]> {
    const legacy = ((await this.keyv.get(auditKey(id))) as AuditEntry[] | undefined) ?? [];
    const entries = (await this.records.auditOf(id)).map((entry) => JSON.parse(entry) as AuditEntry);
    return [...legacy, ...entries];
  }
}

/**
 * An audit entry as the records write it: the entry in the request's log, and its facts in the hash chain of the
 * request's account (the global chain for an entry whose account cannot be told).
 */
function auditWrite(entry: AuditEntry, request?: Pick<AccessRequest, 'wabaId' | 'accountAlias'>): AuditWrite {
  const account = entry.account ?? request?.accountAlias;
  const facts: AuditFacts = {
    at: entry.at,
    actor: entry.actor,
    event: entry.event,
    requestId: entry.requestId,
    ...(account ? { account } : {}),
    ...(entry.detail ? { detail: entry.detail } : {}),
  };
  return { entry: JSON.stringify(entry), chain: { chain: entry.wabaId ?? request?.wabaId ?? GLOBAL_CHAIN, facts } };
}
