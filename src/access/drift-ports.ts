import type { DriftAuditEntry, DriftDigest, PersonEvent, SeenUser } from './drift.js';
import type { DayRecord } from './history.js';
import type { MessageRef } from './request.js';

/** When the next drift check of a WABA is due, across replicas; and why the last one was put off. */
export interface DriftSchedule {
  /** Epoch ms. */
  nextAt: number;
  lastCheckAt?: number;
  skipped?: { at: number; why: 'usage-high' | 'failed' };
}

/** What the bot last read of a WABA's roster: when, and the roster (by content reference). */
export interface SnapshotRef {
  readAt: string;
  ref: string;
}

/**
 * Where drift and history live. Digests are versioned records written by conditional writes with their audit entry,
 * as requests are; a person's history is append-only.
 */
export interface DriftStore {
  schedule(wabaId: string): Promise<DriftSchedule | undefined>;
  saveSchedule(wabaId: string, schedule: DriftSchedule): Promise<void>;

  /** The last roster read the drift check compared with. */
  snapshot(wabaId: string): Promise<SnapshotRef | undefined>;
  saveSnapshot(wabaId: string, snapshot: SnapshotRef): Promise<void>;
  /** A stored roster by content reference (people sorted by id). */
  roster(wabaId: string, ref: string): Promise<SeenUser[] | undefined>;
  /** Stores a roster under its reference (unchanged when already there). */
  saveRoster(wabaId: string, ref: string, users: readonly SeenUser[]): Promise<void>;
  deleteRoster(wabaId: string, ref: string): Promise<void>;
  /** The kept days, oldest first. */
  days(wabaId: string): Promise<DayRecord[]>;
  saveDays(wabaId: string, days: readonly DayRecord[]): Promise<void>;

  /** Appends to a person's history on a WABA; atomic, whoever else appends at the same time. */
  appendPersonEvent(wabaId: string, userId: string, event: PersonEvent): Promise<void>;
  /** A person's history, oldest first. */
  personEvents(wabaId: string, userId: string): Promise<PersonEvent[]>;
  /** People the bot wrote since the drift check last settled them. */
  touched(wabaId: string): Promise<string[]>;
  touch(wabaId: string, userId: string): Promise<void>;
  untouch(wabaId: string, userId: string): Promise<void>;

  digest(id: string): Promise<DriftDigest | undefined>;
  /**
   * Writes `digest` if the stored version is still `digest.version` (0 for a new one), with `audit` in the same
   * write; returns it at its new version. Throws TransitionConflictError when someone wrote first, and LockLostError
   * when a lock the writer holds was lost.
   */
  saveDigest(digest: DriftDigest, audit?: DriftAuditEntry): Promise<DriftDigest>;
  digestAudit(id: string): Promise<DriftAuditEntry[]>;
  /** Digests recorded but not yet posted. */
  unpostedDigests(): Promise<string[]>;
  setUnposted(id: string, unposted: boolean): Promise<void>;
}

/** Tells an account's approvers about drift; implemented by the Slack layer. */
export interface DriftNotifier {
  /** Posts a new digest where the account's approvers decide; returns where. */
  post(digest: DriftDigest): Promise<MessageRef[]>;
  /** Redraws a digest's messages in place (each at the page it shows). */
  update(digest: DriftDigest): Promise<void>;
}
