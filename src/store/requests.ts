import type Keyv from 'keyv';
import type { AuditEntry, Locker, RequestRepository } from '../access/ports.js';
import { type AccessRequest, accessRequestSchema } from '../access/request.js';

const OPEN_INDEX = 'open-requests';
const requestKey = (id: string) => `request:${id}`;
const auditKey = (id: string) => `audit:${id}`;

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

  async openIds(): Promise<string[]> {
    return ((await this.keyv.get(OPEN_INDEX)) as string[] | undefined) ?? [];
  }

  async setOpen(id: string, open: boolean): Promise<void> {
    const ids = await this.openIds();
    if (ids.includes(id) === open) return;
    // Keyv has no compare-and-set: the index is read and written back under its own lock.
    await this.locker.withLock(OPEN_INDEX, async () => {
      const current = new Set(await this.openIds());
      if (open) current.add(id);
      else current.delete(id);
      await this.keyv.set(OPEN_INDEX, [...current]);
    });
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.locker.withLock(auditKey(entry.requestId), async () => {
      const entries = await this.auditOf(entry.requestId);
      await this.keyv.set(auditKey(entry.requestId), [...entries, entry]);
    });
  }

  async auditOf(id: string): Promise<AuditEntry[]> {
    return ((await this.keyv.get(auditKey(id))) as AuditEntry[] | undefined) ?? [];
  }
}
