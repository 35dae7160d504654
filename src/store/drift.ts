import type Keyv from 'keyv';
import {
  type DriftAuditEntry,
  type DriftDigest,
  driftDigestSchema,
  type PersonEvent,
  personEventSchema,
  type SeenUser,
} from '../access/drift.js';
import type { DriftSchedule, DriftStore, SnapshotRef } from '../access/drift-ports.js';
import { type DayRecord, dayRecordSchema } from '../access/history.js';
import { LockLostError, TransitionConflictError } from '../access/ports.js';
import { assertLocksHeld, redisFences } from './held-locks.js';
import type { IdIndex } from './id-index.js';
import type { AuditWrite, RequestRecords } from './request-records.js';

const scheduleKey = (wabaId: string) => `drift-schedule:${wabaId}`;
const snapshotKey = (wabaId: string) => `drift-snapshot:${wabaId}`;
const rosterKey = (wabaId: string, ref: string) => `roster:${wabaId}:${ref}`;
const daysKey = (wabaId: string) => `history-days:${wabaId}`;
/** Record ids beside requests' (which are short hex): a digest, and a person's history on a WABA. */
const digestRecord = (id: string) => `drift:${id}`;
const personRecord = (wabaId: string, userId: string) => `person:${wabaId}:${userId}`;
const UNPOSTED_INDEX = 'drift-unposted';
const touchedIndex = (wabaId: string) => `drift-touched:${wabaId}`;

/** Compact stored form of a roster: `[id, tasks, name?]` per person. */
type StoredUser = [string, string[], string?];

/**
 * Drift and history in the store: small settings in Keyv; digests as versioned records (the same conditional
 * writes, audit entries and Redis fences as requests); each person's history as an append-only record log; the sets
 * of written people and unposted digests as id indexes (Redis sets with replicas).
 */
export class KeyvDriftStore implements DriftStore {
  private readonly indexes = new Map<string, IdIndex>();

  constructor(
    private readonly keyv: Keyv,
    private readonly records: RequestRecords,
    /** A durable set under this name: one instance per name in a process. */
    private readonly newIndex: (name: string) => IdIndex,
  ) {}

  async schedule(wabaId: string): Promise<DriftSchedule | undefined> {
    return (await this.keyv.get(scheduleKey(wabaId))) as DriftSchedule | undefined;
  }

  async saveSchedule(wabaId: string, schedule: DriftSchedule): Promise<void> {
    await this.keyv.set(scheduleKey(wabaId), schedule);
  }

  async snapshot(wabaId: string): Promise<SnapshotRef | undefined> {
    return (await this.keyv.get(snapshotKey(wabaId))) as SnapshotRef | undefined;
  }

  async saveSnapshot(wabaId: string, snapshot: SnapshotRef): Promise<void> {
    assertLocksHeld();
    await this.keyv.set(snapshotKey(wabaId), snapshot);
  }

  async roster(wabaId: string, ref: string): Promise<SeenUser[] | undefined> {
    const stored = (await this.keyv.get(rosterKey(wabaId, ref))) as StoredUser[] | undefined;
    return stored?.map(([id, tasks, name]) => ({
      id,
      tasks: tasks as SeenUser['tasks'],
      ...(name ? { name } : {}),
    }));
  }

  async saveRoster(wabaId: string, ref: string, users: readonly SeenUser[]): Promise<void> {
    const stored: StoredUser[] = users.map((user) =>
      user.name ? [user.id, user.tasks, user.name] : [user.id, user.tasks],
    );
    await this.keyv.set(rosterKey(wabaId, ref), stored);
  }

  async deleteRoster(wabaId: string, ref: string): Promise<void> {
    await this.keyv.delete(rosterKey(wabaId, ref));
  }

  async days(wabaId: string): Promise<DayRecord[]> {
    const raw = (await this.keyv.get(daysKey(wabaId))) as unknown[] | undefined;
    return (raw ?? []).map((record) => dayRecordSchema.parse(record));
  }

  async saveDays(wabaId: string, days: readonly DayRecord[]): Promise<void> {
    assertLocksHeld();
    await this.keyv.set(daysKey(wabaId), days);
  }

  async appendPersonEvent(wabaId: string, userId: string, event: PersonEvent): Promise<void> {
    // A journal of the bot's writes and what drift found: the audit chain has the facts (requests, drift reports).
    await this.records.appendLog(personRecord(wabaId, userId), JSON.stringify(personEventSchema.parse(event)));
  }

  async personEvents(wabaId: string, userId: string): Promise<PersonEvent[]> {
    const entries = await this.records.auditOf(personRecord(wabaId, userId));
    return entries.flatMap((entry) => {
      const parsed = personEventSchema.safeParse(JSON.parse(entry));
      return parsed.success ? [parsed.data] : [];
    });
  }

  touched(wabaId: string): Promise<string[]> {
    return this.index(touchedIndex(wabaId)).members();
  }

  touch(wabaId: string, userId: string): Promise<void> {
    return this.index(touchedIndex(wabaId)).add(userId);
  }

  untouch(wabaId: string, userId: string): Promise<void> {
    return this.index(touchedIndex(wabaId)).remove(userId);
  }

  async digest(id: string): Promise<DriftDigest | undefined> {
    const stored = await this.records.read(digestRecord(id));
    if (!stored) return undefined;
    return { ...driftDigestSchema.parse(JSON.parse(stored.body)), version: stored.version };
  }

  async saveDigest(digest: DriftDigest, audit?: DriftAuditEntry): Promise<DriftDigest> {
    const { version, ...body } = driftDigestSchema.parse(digest);
    assertLocksHeld();
    const expected = version ?? 0;
    const outcome = await this.records.write(
      digestRecord(digest.id),
      expected,
      JSON.stringify(body),
      audit ? digestAuditWrite(digest, audit) : undefined,
      redisFences(),
    );
    if (outcome.kind === 'conflict')
      throw new TransitionConflictError(digestRecord(digest.id), expected, outcome.found);
    if (outcome.kind === 'lock-lost') throw new LockLostError(outcome.redisKey);
    return { ...digest, version: outcome.version };
  }

  async digestAudit(id: string): Promise<DriftAuditEntry[]> {
    return (await this.records.auditOf(digestRecord(id))).map((entry) => JSON.parse(entry) as DriftAuditEntry);
  }

  unpostedDigests(): Promise<string[]> {
    return this.index(UNPOSTED_INDEX).members();
  }

  setUnposted(id: string, unposted: boolean): Promise<void> {
    const index = this.index(UNPOSTED_INDEX);
    return unposted ? index.add(id) : index.remove(id);
  }

  private index(name: string): IdIndex {
    let index = this.indexes.get(name);
    if (!index) {
      index = this.newIndex(name);
      this.indexes.set(name, index);
    }
    return index;
  }
}

/** A drift audit entry as the records write it: in the digest's own log, and in its account's audit chain. */
function digestAuditWrite(digest: Pick<DriftDigest, 'wabaId' | 'alias'>, audit: DriftAuditEntry): AuditWrite {
  const about = [`report ${audit.digestId}`, audit.userId && `user ${audit.userId}`].filter(Boolean).join(', ');
  return {
    entry: JSON.stringify(audit),
    chain: {
      chain: digest.wabaId,
      facts: {
        at: audit.at,
        actor: audit.actor,
        event: `drift-${audit.event}`,
        account: digest.alias,
        detail: audit.detail ? `${about}: ${audit.detail}` : about,
      },
    },
  };
}
