import type Keyv from 'keyv';
import { grantSchema, type Ledger, ledgerSchema, type TemporaryGrant } from '../access/grants.js';
import type { AuditEntry, Locker, RequestRepository } from '../access/ports.js';
import { type AccessRequest, accessRequestSchema } from '../access/request.js';

const OPEN_INDEX = 'open-requests';
/** Index and audit writers outwait a lock left by a killed process (locks free themselves within 15 s). */
const SHARED_KEY_WAIT = { waitMs: 20_000 };
const LIVE_GRANTS_INDEX = 'live-grants';
const requestKey = (id: string) => `request:${id}`;
const auditKey = (id: string) => `audit:${id}`;
const grantKey = (id: string) => `grant:${id}`;
const ledgerKey = (wabaId: string, userId: string) => `ledger:${wabaId}:${userId}`;

/** Requests, the index of open ones and the audit log, in any Keyv store. */
export class KeyvRequestRepository implements RequestRepository {
  constructor(
    private readonly keyv: Keyv,
    private readonly locker: Locker,
  ) {}

  async get(id: string): Promise<AccessRequest | undefined> {
    const raw = await this.keyv.get(requestKey(id));
    return raw === undefined ? undefined : accessRequestSchema.parse(raw);
  }

  async save(request: AccessRequest): Promise<void> {
    await this.keyv.set(requestKey(request.id), accessRequestSchema.parse(request));
  }

  openIds(): Promise<string[]> {
    return this.members(OPEN_INDEX);
  }

  setOpen(id: string, open: boolean): Promise<void> {
    return this.setMember(OPEN_INDEX, id, open);
  }

  async getGrant(id: string): Promise<TemporaryGrant | undefined> {
    const raw = await this.keyv.get(grantKey(id));
    return raw === undefined ? undefined : grantSchema.parse(raw);
  }

  async saveGrant(grant: TemporaryGrant): Promise<void> {
    await this.keyv.set(grantKey(grant.id), grantSchema.parse(grant));
  }

  liveGrantIds(): Promise<string[]> {
    return this.members(LIVE_GRANTS_INDEX);
  }

  setGrantLive(id: string, live: boolean): Promise<void> {
    return this.setMember(LIVE_GRANTS_INDEX, id, live);
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

  private async members(index: string): Promise<string[]> {
    return ((await this.keyv.get(index)) as string[] | undefined) ?? [];
  }

  private async setMember(index: string, id: string, present: boolean): Promise<void> {
    if ((await this.members(index)).includes(id) === present) return;
    // Keyv has no compare-and-set: an index is read and written back under its own lock.
    await this.locker.withLock(
      index,
      async () => {
        const current = new Set(await this.members(index));
        if (present) current.add(id);
        else current.delete(id);
        await this.keyv.set(index, [...current]);
      },
      SHARED_KEY_WAIT,
    );
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
