import type Keyv from 'keyv';
import type { DirectoryStore, LinkAuditEntry, LinkAuditKey, PersonLink } from '../access/directory.js';
import type { Locker } from '../access/ports.js';
import { type AuditFacts, GLOBAL_CHAIN } from '../audit/chain.js';
import type { AuditTrail } from '../audit/trail.js';
import { InProcessLocker } from './locks.js';

const bySlack = (slackId: string) => `person:slack:${slackId}`;
const byMeta = (metaUserId: string) => `person:meta:${metaUserId}`;
const auditKey = (key: LinkAuditKey) =>
  'slackId' in key ? `person-audit:slack:${key.slackId}` : `person-audit:meta:${key.metaUserId}`;
/** Audit writers outwait a lock left by a killed process (locks free themselves within 15 s). */
const AUDIT_WAIT = { waitMs: 20_000 };

/**
 * Person links and their audit trail in any Keyv store, findable from either side. A link concerns every account,
 * so each change also joins the trail's global hash chain.
 */
export class KeyvDirectoryStore implements DirectoryStore {
  constructor(
    private readonly keyv: Keyv,
    private readonly locker: Locker = new InProcessLocker(),
    private readonly trail?: AuditTrail,
  ) {}

  async linkOf(slackId: string): Promise<PersonLink | undefined> {
    return (await this.keyv.get(bySlack(slackId))) as PersonLink | undefined;
  }

  async linkOfMeta(metaUserId: string): Promise<PersonLink | undefined> {
    return (await this.keyv.get(byMeta(metaUserId))) as PersonLink | undefined;
  }

  async saveLink(link: PersonLink): Promise<void> {
    await this.keyv.set(bySlack(link.slackId), link);
    await this.keyv.set(byMeta(link.metaUserId), link);
  }

  async deleteLink(link: PersonLink): Promise<void> {
    await this.keyv.delete(bySlack(link.slackId));
    // Only the reverse entry that still points at this person: another person may hold that Meta user now.
    if ((await this.linkOfMeta(link.metaUserId))?.slackId === link.slackId)
      await this.keyv.delete(byMeta(link.metaUserId));
  }

  async appendLinkAudit(entry: LinkAuditEntry): Promise<void> {
    const keys: LinkAuditKey[] = [
      { slackId: entry.slackId },
      ...[...new Set([entry.before, entry.after])].flatMap((metaUserId) => (metaUserId ? [{ metaUserId }] : [])),
    ];
    for (const key of keys) {
      await this.locker.withLock(
        auditKey(key),
        async () => {
          await this.keyv.set(auditKey(key), [...(await this.linkAuditOf(key)), entry]);
        },
        AUDIT_WAIT,
      );
    }
    const facts: AuditFacts = {
      at: entry.at,
      actor: entry.actor,
      event: entry.event,
      person: entry.slackId,
      via: entry.via,
      ...(entry.before ? { before: entry.before } : {}),
      ...(entry.after ? { after: entry.after } : {}),
      ...(entry.movedTo ? { movedTo: entry.movedTo } : {}),
    };
    await this.trail?.append(GLOBAL_CHAIN, facts);
  }

  async linkAuditOf(key: LinkAuditKey): Promise<LinkAuditEntry[]> {
    return ((await this.keyv.get(auditKey(key))) as LinkAuditEntry[] | undefined) ?? [];
  }
}
