import { z } from 'zod';
import { type Ledger, ledgerAfterEnd, sameAccess, type TemporaryGrant } from './grants.js';
import { messageRefSchema } from './request.js';
import { normalizeTasks, type Task, taskSchema } from './tasks.js';

/**
 * Drift: changes to a WABA's roster made outside the bot (in Business Manager, by another tool). The bot expects
 * what its last roster read saw plus its own writes since; a new read that differs is drift, reported once in a
 * digest where the account's approvers Accept it, Revert it, or Make it temporary.
 */

const isoDate = z.iso.datetime();
const accessSchema = z.array(taskSchema).nullable();

/** What one person holds: tasks, or null for no access. */
export type Access = Task[] | null;

/** One person as a roster read saw them. */
export interface SeenUser {
  id: string;
  tasks: Task[];
  name?: string;
}

/** A roster as read: the people on it (sorted by id), and when the read began (ISO 8601). */
export interface RosterState {
  readAt: string;
  users: SeenUser[];
}

/** One line of a person's history on a WABA, as the store keeps it (append-only). */
export const personEventSchema = z.discriminatedUnion('kind', [
  /** The bot wrote this person's access: recorded before the call (`intent`), then `done` or `unknown`. */
  z.object({
    kind: z.literal('write'),
    at: isoDate,
    writeId: z.string(),
    phase: z.enum(['intent', 'done', 'unknown']),
    tasks: accessSchema,
    /** What made the write: `request:<id>`, `drift:<digest id>`. */
    cause: z.string().optional(),
  }),
  /** A drift check found the person's access changed outside the bot. */
  z.object({
    kind: z.literal('drift'),
    at: isoDate,
    digestId: z.string(),
    change: z.enum(['added', 'removed', 'changed', 'grant-ended']),
    expected: accessSchema,
    found: accessSchema,
    /** When the roster that showed it was read. */
    readAt: isoDate,
  }),
  /** An approver acted on a drift report about the person. */
  z.object({
    kind: z.literal('drift-action'),
    at: isoDate,
    digestId: z.string(),
    action: z.enum(['accepted', 'reverted', 'temporary']),
    actor: z.string(),
    /** What the person holds once the action is done. */
    tasks: accessSchema,
    until: isoDate.optional(),
  }),
]);
export type PersonEvent = z.infer<typeof personEventSchema>;

/** What the bot expects of each person, and whom it cannot judge this time. */
export interface Expectation {
  /** Expected access of people the bot wrote since the last read; everyone else is expected as last read. */
  written: Map<string, Access>;
  /**
   * People whose access the bot cannot place: a write of its own was under way during the read, or ended with an
   * unknown outcome (a failure, a crash). They are not reported; the read becomes their baseline.
   */
  unsure: Set<string>;
}

/**
 * How long a write may stay without an outcome before it counts as ended, outcome unknown (its process died): longer
 * than any Graph call with its retries.
 */
export const WRITE_LEASE_MS = 10 * 60_000;

/** One write as its events tell it: begun, and settled (when, and how) unless still under way. */
interface Write {
  beganAt: number;
  settledAt?: number;
  outcome?: 'done' | 'unknown';
  tasks: Access;
}

/** The writes in a person's history, each once, in the order they began. */
export function writesOf(events: readonly PersonEvent[]): Write[] {
  const writes = new Map<string, Write>();
  for (const event of events) {
    if (event.kind !== 'write') continue;
    const at = Date.parse(event.at);
    const write = writes.get(event.writeId);
    if (event.phase === 'intent') writes.set(event.writeId, { beganAt: at, tasks: access(event.tasks) });
    else if (write) Object.assign(write, { settledAt: at, outcome: event.phase });
  }
  return [...writes.values()].sort((a, b) => a.beganAt - b.beganAt);
}

/**
 * What the bot expects after its own writes. `since` is when the last read began: a write settled before it is in
 * that read already. `readStartedAt` is when the new read began: a write under way at that moment, or begun after it,
 * may or may not show in the read. For everyone else the bot expects the last write Graph confirmed.
 */
export function expectation(
  histories: ReadonlyMap<string, readonly PersonEvent[]>,
  since: number,
  readStartedAt: number,
): Expectation {
  const written = new Map<string, Access>();
  const unsure = new Set<string>();
  for (const [userId, events] of histories) {
    const recent = writesOf(events)
      .map((write) =>
        // A write left without an outcome for longer than any call takes ended with its process.
        write.settledAt === undefined && write.beganAt + WRITE_LEASE_MS < readStartedAt
          ? { ...write, settledAt: write.beganAt + WRITE_LEASE_MS, outcome: 'unknown' as const }
          : write,
      )
      .filter((write) => write.settledAt === undefined || write.settledAt >= since);
    if (recent.length === 0) continue;
    const placed = recent.every(
      (write) => write.outcome === 'done' && write.settledAt! < readStartedAt && write.beganAt < readStartedAt,
    );
    if (!placed) unsure.add(userId);
    else written.set(userId, recent.sort((a, b) => a.settledAt! - b.settledAt!).at(-1)!.tasks);
  }
  return { written, unsure };
}

/** Whether every write in a person's history is in a read that began at `readStartedAt`. */
export function allWritesBefore(events: readonly PersonEvent[], readStartedAt: number): boolean {
  return writesOf(events).every((write) => (write.settledAt ?? write.beganAt + WRITE_LEASE_MS) < readStartedAt);
}

/** One person whose access differs from what the bot expected. */
export interface Change {
  userId: string;
  name?: string;
  expected: Access;
  found: Access;
}

/** People whose access in `now` differs from `before` with the bot's own writes applied. */
export function changesBetween(before: RosterState, now: RosterState, expected: Expectation): Change[] {
  const was = new Map(before.users.map((user) => [user.id, user]));
  const is = new Map(now.users.map((user) => [user.id, user]));
  const changes: Change[] = [];
  for (const userId of new Set([...was.keys(), ...is.keys(), ...expected.written.keys()])) {
    if (expected.unsure.has(userId)) continue;
    const want = expected.written.has(userId) ? expected.written.get(userId)! : access(was.get(userId)?.tasks);
    const seen = is.get(userId);
    const found = access(seen?.tasks);
    if (sameAccess(want, found)) continue;
    const name = seen?.name || was.get(userId)?.name;
    changes.push({ userId, ...(name ? { name } : {}), expected: want, found });
  }
  return changes.sort((a, b) => (a.userId < b.userId ? -1 : 1));
}

/** How a change is described, and what may be done about it. */
export type ChangeKind = 'added' | 'removed' | 'changed' | 'grant-ended';

/**
 * What kind of change this is: someone added, removed, or with other tasks; or a temporary grant of the bot's ended
 * outside it (what was taken away is exactly what live grants gave). `live` are the person's live grants.
 */
export function classify(change: Change, live: readonly TemporaryGrant[]): { kind: ChangeKind; grantIds: string[] } {
  const found = new Set(change.found ?? []);
  const lost = live.filter((grant) => grant.tasks.some((task) => !found.has(task)));
  const grantIds = lost.map((grant) => grant.id);
  if (change.expected === null) return { kind: 'added', grantIds };
  const taken = change.expected.filter((task) => !found.has(task));
  const given = (change.found ?? []).filter((task) => !change.expected!.includes(task));
  const byGrants = new Set(lost.flatMap((grant) => grant.tasks));
  if (lost.length > 0 && given.length === 0 && taken.every((task) => byGrants.has(task)))
    return { kind: 'grant-ended', grantIds };
  return { kind: change.found === null ? 'removed' : 'changed', grantIds };
}

/** Tasks a change gave that the bot did not expect: what Make temporary keeps for a while. */
export function addedTasks(row: Pick<Change, 'expected' | 'found'>): Task[] {
  return (row.found ?? []).filter((task) => !(row.expected ?? []).includes(task));
}

/** Tasks a change took away. */
export function removedTasks(row: Pick<Change, 'expected' | 'found'>): Task[] {
  return (row.expected ?? []).filter((task) => !(row.found ?? []).includes(task));
}

/**
 * Accepting a change for a person with live grants: grants whose tasks are gone ended outside the bot (`lost`), and
 * what the person holds now beyond the remaining grants becomes their baseline, so those grants end cleanly.
 */
export function acceptedLedger(
  ledger: Ledger,
  live: readonly TemporaryGrant[],
  found: Access,
): { ledger: Ledger | undefined; lost: TemporaryGrant[] } {
  const held = new Set(found ?? []);
  const lost = live.filter((grant) => grant.tasks.some((task) => !held.has(task)));
  let next = ledger;
  let remaining = [...live];
  for (const grant of lost) {
    next = ledgerAfterEnd(next, remaining, grant, found);
    remaining = remaining.filter((other) => other.id !== grant.id);
  }
  if (lost.length === 0) {
    // Nothing ended: what is held beyond the grants is the new baseline.
    const owed = new Set(remaining.flatMap((grant) => grant.tasks).filter((task) => !ledger.baseline?.includes(task)));
    next = { ...ledger, baseline: access((found ?? []).filter((task) => !owed.has(task))) };
  }
  return { ledger: next.liveGrantIds.length > 0 ? next : undefined, lost };
}

/**
 * Making a change temporary: what the tasks it gave are kept as, a live grant on top of what the bot expected. The
 * person then holds the bot's expectation plus those tasks (`target`: tasks the change took away come back now);
 * when the grant ends, they go back to the baseline like after any temporary grant.
 */
export function temporaryLedger(
  ledger: Ledger | undefined,
  live: readonly TemporaryGrant[],
  row: Pick<Change, 'expected' | 'found'>,
  grantId: string,
): { ledger: Ledger; added: Task[]; target: Task[] } {
  const added = addedTasks(row);
  const baseline = ledger ? ledger.baseline : row.expected;
  const target = normalizeTasks([...(baseline ?? []), ...live.flatMap((grant) => grant.tasks), ...added]);
  return { ledger: { baseline, liveGrantIds: [...(ledger?.liveGrantIds ?? []), grantId] }, added, target };
}

/** Null for no access, else the tasks in a stable order. */
export function access(tasks: readonly Task[] | null | undefined): Access {
  return tasks && tasks.length > 0 ? normalizeTasks(tasks) : null;
}

/** A row of a digest: one change, and what has been done about it. */
export const driftRowSchema = z.object({
  userId: z.string(),
  name: z.string().optional(),
  /** The Slack person linked to the Meta user when the change was found. */
  slackId: z.string().optional(),
  kind: z.enum(['added', 'removed', 'changed', 'grant-ended']),
  expected: accessSchema,
  found: accessSchema,
  /** The bot's temporary grants the change ended. */
  grantIds: z.array(z.string()).default([]),
  /**
   * `open`: nobody has acted; `acting`: an approver's action is under way (until `leaseUntil`); `superseded`: the
   * access changed again before anyone acted, so a later digest reports it.
   */
  status: z.enum(['open', 'acting', 'accepted', 'reverted', 'temporary', 'superseded']),
  /** Who acted, and when (for `acting`, who is acting). */
  by: z.string().optional(),
  at: isoDate.optional(),
  leaseUntil: isoDate.optional(),
  /** Make temporary: until when the access is kept, and the grant that ends it. */
  until: isoDate.optional(),
  grantId: z.string().optional(),
  /** What a fresh read found when it was acted on (superseded, or already as wanted). */
  now: accessSchema.optional(),
  /** Revert: nothing had to be sent (the access was already back). */
  alreadyDone: z.boolean().optional(),
  /** The last attempt failed (Meta's words); the row is open again. */
  error: z.string().optional(),
});
export type DriftRow = z.infer<typeof driftRowSchema>;

/** Where a digest was posted, and which page of it each message shows. */
export const digestMessageSchema = messageRefSchema.extend({ page: z.number().int().nonnegative().default(0) });
export type DigestMessage = z.infer<typeof digestMessageSchema>;

/** One drift check's report on one WABA. */
export const driftDigestSchema = z.object({
  id: z.string(),
  wabaId: z.string(),
  alias: z.string(),
  /** When the roster that showed the changes was read, and when the read it was compared with was. */
  readAt: isoDate,
  comparedWith: isoDate,
  createdAt: isoDate,
  rows: z.array(driftRowSchema),
  /** Changes found beyond the rows a digest lists (recorded in history all the same). */
  omitted: z.number().int().nonnegative().default(0),
  messages: z.array(digestMessageSchema).default([]),
  /** Set once the digest is posted; a digest recorded but not posted (a crash, Slack down) is posted later. */
  postedAt: isoDate.optional(),
  /** The version the store holds it at; a write starts from it. */
  version: z.number().int().nonnegative().optional(),
});
export type DriftDigest = z.infer<typeof driftDigestSchema>;

/** One line of a digest's audit trail. */
export interface DriftAuditEntry {
  digestId: string;
  at: string;
  /** A Slack user id, or `system`. */
  actor: string;
  event: 'reported' | 'posted' | 'accepted' | 'reverted' | 'made-temporary' | 'superseded' | 'failed' | 'claimed';
  userId?: string;
  detail?: string;
}

/** The most rows one digest lists; a mass change beyond it is counted, and each person's history still has it. */
export const MAX_DIGEST_ROWS = 500;

/** Rows a person may act on: Make temporary is offered where the change gave access. */
export function actionsFor(row: DriftRow): Array<'accept' | 'revert' | 'temporary'> {
  if (row.status !== 'open' && row.status !== 'acting') return [];
  return addedTasks(row).length > 0 ? ['accept', 'revert', 'temporary'] : ['accept', 'revert'];
}
