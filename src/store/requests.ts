import type Keyv from 'keyv';
import { grantSchema, type Ledger, ledgerSchema, type TemporaryGrant } from '../access/grants.js';
import type { AuditEntry, Locker, RequestRepository } from '../access/ports.js';
import { type AccessRequest, accessRequestSchema } from '../access/request.js';
import {
  type IdIndex,
  type RecentIndex,
  RedisIdIndex,
  RedisRecentIndex,
  type RedisSetClient,
  SnapshotIdIndex,
} from './id-index.js';

const OPEN_INDEX = 'open-requests';
/** Audit writers outwait a lock left by a killed process (locks free themselves within 15 s). */
const SHARED_KEY_WAIT = { waitMs: 20_000 };
const LIVE_GRANTS_INDEX = 'live-grants';
const requestKey = (id: string) => `request:${id}`;
const auditKey = (id: string) => `audit:${id}`;
const grantKey = (id: string) => `grant:${id}`;
const ledgerKey = (wabaId: string, userId: string) => `ledger:${wabaId}:${userId}`;

export interface RepositoryIndexes {
  open: IdIndex;
  liveGrants: IdIndex;
  recent: RecentIndex;
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
  };
}

/** Shared indexes in Redis, moved from the single-key form of earlier versions on first use. */
export function redisIndexes(client: RedisSetClient, keyv: Keyv, prefix: string): RepositoryIndexes {
  const index = (name: string) => new RedisIdIndex(client, `${prefix}${name}`, { keyv, key: name });
  return {
    open: index(OPEN_INDEX),
    liveGrants: index(LIVE_GRANTS_INDEX),
    recent: new RedisRecentIndex(client, `${prefix}${RECENT_INDEX}`),
  };
}

/** Requests, the index of open ones, grants, ledgers and the audit log, in any Keyv store. */
export class KeyvRequestRepository implements RequestRepository {
  constructor(
    private readonly keyv: Keyv,
    private readonly locker: Locker,
    private readonly indexes: RepositoryIndexes = snapshotIndexes(keyv),
  ) {}

  async get(id: string): Promise<AccessRequest | undefined> {
    const raw = await this.keyv.get(requestKey(id));
    return raw === undefined ? undefined : accessRequestSchema.parse(raw);
  }

  async save(request: AccessRequest): Promise<void> {
    await this.keyv.set(requestKey(request.id), accessRequestSchema.parse(request));
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

  async getGrant(id: string): Promise<TemporaryGrant | undefined> {
    const raw = await this.keyv.get(grantKey(id));
    return raw === undefined ? undefined : grantSchema.parse(raw);
  }

  async saveGrant(grant: TemporaryGrant): Promise<void> {
    await this.keyv.set(grantKey(grant.id), grantSchema.parse(grant));
  }

  liveGrantIds(): Promise<string[]> {
    return this.indexes.liveGrants.members();
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
    if (ledger) await this.keyv.set(ledgerKey(wabaId, userId), ledgerSchema.parse(ledger));
    else await this.keyv.delete(ledgerKey(wabaId, userId));
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.locker.withLock(
      auditKey(entry.requestId),
      async () => {
        const entries = await this.auditOf(entry.requestId);
        await this.keyv.set(auditKey(entry.requestId), [...entries, entry]);
      },
      SHARED_KEY_WAIT,
    );
  }

  async auditOf(id: string): Promise<AuditEntry[]> {
    return ((await this.keyv.get(auditKey(id))) as AuditEntry[] | undefined) ?? [];
  }
}
