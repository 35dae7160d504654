import { createHash } from 'node:crypto';
import type { Account } from '../accounts.js';
import {
  allWritesBefore,
  type Change,
  changesBetween,
  classify,
  type DriftAuditEntry,
  type DriftDigest,
  type DriftRow,
  expectation,
  MAX_DIGEST_ROWS,
  type PersonEvent,
  type SeenUser,
  writesOf,
} from '../drift.js';
import type { SnapshotRef } from '../drift-ports.js';
import type { TemporaryGrant } from '../grants.js';
import { canonical, dayOf, keptDays, rosterRef, unionOf, unusedRefs } from '../history.js';
import { isContention, LockBusyError } from '../ports.js';
import { normalizeTasks } from '../tasks.js';
import { userLockKey } from '../temporary-access.js';
import type { Roster } from '../waba.js';
import type { DriftContext } from './drift-context.js';

/** At or above this share of any Meta budget, the background check waits: people's requests come first. */
export const DRIFT_USAGE_CEILING = 75;
/** Meta's budgets are hourly: an older reading says nothing about now. */
const READING_MAX_AGE_MS = 3_600_000;
/** When a check failed, or was put off without a time from Meta, it is tried again this soon (or at the interval). */
const RETRY_MS = 5 * 60_000;
/** Drift locks are held for store work and at most one roster read. */
const DIGEST_LOCK = { waitMs: 10_000 };

/** How a check of one WABA went. */
export type CheckOutcome =
  /** Read and compared. `baseline`: the first read, which the next ones are compared with. */
  | { kind: 'checked'; changes: number; digest?: DriftDigest; baseline: boolean }
  | { kind: 'not-due'; nextAt: number }
  /** Another process is checking this WABA right now. */
  | { kind: 'busy' }
  /** Meta's usage is high: put off until `until`. */
  | { kind: 'skipped'; until: number };

/**
 * Checks one WABA when its time has come (`force`: now, whatever the schedule), once across replicas: the check runs
 * under the WABA's lock and the schedule lives in the store. Put off while Meta's usage for the account is high.
 */
export async function checkWaba(ctx: DriftContext, account: Account, force = false): Promise<CheckOutcome> {
  const { store, locker } = ctx.deps;
  const wabaId = account.policy.wabaId;
  const now = ctx.clock.now().getTime();
  const seen = await store.schedule(wabaId);
  if (!force && seen && seen.nextAt > now) return { kind: 'not-due', nextAt: seen.nextAt };
  try {
    return await locker.withLock(
      `drift-check:${wabaId}`,
      async (): Promise<CheckOutcome> => {
        const schedule = await store.schedule(wabaId);
        if (!force && schedule && schedule.nextAt > ctx.clock.now().getTime())
          return { kind: 'not-due', nextAt: schedule.nextAt };
        const last = schedule?.lastCheckAt === undefined ? {} : { lastCheckAt: schedule.lastCheckAt };
        const free = servedByCache(account, await store.snapshot(wabaId));
        const heldUntil = free ? undefined : usageHold(ctx, account);
        if (heldUntil !== undefined) {
          const at = ctx.clock.now().getTime();
          await store.saveSchedule(wabaId, { ...last, nextAt: heldUntil, skipped: { at, why: 'usage-high' } });
          ctx.deps.logger?.info(
            { wabaId, until: new Date(heldUntil).toISOString() },
            'drift check put off: Meta usage is high',
          );
          return { kind: 'skipped', until: heldUntil };
        }
        try {
          const outcome = await runCheck(ctx, account);
          const at = ctx.clock.now().getTime();
          await store.saveSchedule(wabaId, { nextAt: at + interval(ctx), lastCheckAt: at });
          return outcome;
        } catch (error) {
          const at = ctx.clock.now().getTime();
          const nextAt = at + Math.min(RETRY_MS, interval(ctx));
          await store.saveSchedule(wabaId, { ...last, nextAt, skipped: { at, why: 'failed' } });
          throw error;
        }
      },
      { waitMs: 0 },
    );
  } catch (error) {
    if (error instanceof LockBusyError) return { kind: 'busy' };
    throw error;
  }
}

function interval(ctx: DriftContext): number {
  return ctx.deps.intervalMs ?? 3_600_000;
}

/** Until when the check should wait, when it would call Meta while the account's budget is high or held. */
function usageHold(ctx: DriftContext, account: Account): number | undefined {
  const now = ctx.clock.now().getTime();
  const budget = account.waba.budget();
  if (budget.heldUntil > now) return budget.heldUntil;
  const high = budget.reports.some(
    (report) => report.percent >= DRIFT_USAGE_CEILING && report.reportedAt > now - READING_MAX_AGE_MS,
  );
  return high ? now + Math.min(RETRY_MS, interval(ctx)) : undefined;
}

/**
 * One check: one roster read (none when a read newer than the last check is cached), compared with the last read
 * plus the bot's own writes since. Changes are recorded in a digest before the new read becomes the baseline, so a
 * check cut short and run again reports them in the same digest, once. The read is kept as the day's history.
 */
async function runCheck(ctx: DriftContext, account: Account): Promise<CheckOutcome> {
  const { store } = ctx.deps;
  const wabaId = account.policy.wabaId;
  const previous = await store.snapshot(wabaId);
  const before = previous && (await store.roster(wabaId, previous.ref));
  const roster = await readRoster(account, previous);
  const readStartedAt = Date.parse(roster.readAt);
  const observed = canonical(
    roster.users.map((user) => ({
      id: user.id,
      tasks: normalizeTasks(user.tasks),
      ...(user.name ? { name: user.name } : {}),
    })),
  );
  const touched = await store.touched(wabaId);
  const histories = new Map<string, PersonEvent[]>();
  for (const userId of touched) histories.set(userId, await store.personEvents(wabaId, userId));

  let digest: DriftDigest | undefined;
  let changes: Change[] = [];
  if (previous && before) {
    const expected = expectation(histories, Date.parse(previous.readAt), readStartedAt);
    changes = changesBetween(
      { readAt: previous.readAt, users: before },
      { readAt: roster.readAt, users: observed },
      expected,
    );
    if (changes.length > 0) digest = await report(ctx, account, previous, roster.readAt, changes);
  }
  await recordRead(ctx, wabaId, previous, roster.readAt, observed, histories);
  await settleWritten(ctx, wabaId, touched, readStartedAt);
  if (changes.length > 0)
    ctx.deps.logger?.info({ wabaId, changes: changes.length, digestId: digest?.id }, 'drift found');
  // Slack refusing leaves the digest queued: the check itself is done, and the next tick posts it.
  if (digest)
    await postDigest(ctx, digest.id).catch((error: unknown) =>
      ctx.deps.logger?.warn({ err: error, digestId: digest.id }, 'could not post a drift digest; trying again later'),
    );
  return { kind: 'checked', changes: changes.length, ...(digest ? { digest } : {}), baseline: !(previous && before) };
}

/**
 * The roster to compare: a cached read newer than the last check's costs nothing; otherwise one fresh read (pages of
 * 100), shared with anyone else reading the roster at that moment.
 */
async function readRoster(account: Account, previous: SnapshotRef | undefined): Promise<Roster> {
  return servedByCache(account, previous) ?? account.waba.roster({ fresh: true });
}

/** A cached roster read after the last check's, which a check may use without calling Meta. */
function servedByCache(account: Account, previous: SnapshotRef | undefined): Roster | undefined {
  const cached = account.waba.cachedRoster();
  return cached && (!previous || Date.parse(cached.readAt) > Date.parse(previous.readAt)) ? cached : undefined;
}

/** A digest's id follows from the read it compares with, so a check run again after a crash finds its own. */
export function digestIdFor(wabaId: string, comparedWith: string): string {
  const waba = createHash('sha256').update(wabaId).digest('hex').slice(0, 6);
  return `${waba}-${Date.parse(comparedWith).toString(36)}`;
}

/** Records the changes in a digest (new, or the one a check cut short began) and in each person's history. */
async function report(
  ctx: DriftContext,
  account: Account,
  previous: SnapshotRef,
  readAt: string,
  changes: Change[],
): Promise<DriftDigest> {
  const { store, repository, locker } = ctx.deps;
  const wabaId = account.policy.wabaId;
  const rows: DriftRow[] = [];
  for (const change of changes) {
    const ledger = await repository.getLedger(wabaId, change.userId);
    const live: TemporaryGrant[] = [];
    for (const id of ledger?.liveGrantIds ?? []) {
      const grant = await repository.getGrant(id);
      if (grant && grant.state !== 'ended') live.push(grant);
    }
    const slackId = await ctx.deps.slackIdOf?.(change.userId).catch(() => undefined);
    rows.push({ ...change, ...(slackId ? { slackId } : {}), ...classify(change, live), status: 'open' });
  }
  const id = digestIdFor(wabaId, previous.readAt);
  const { digest, added } = await locker.withLock(
    `drift-digest:${id}`,
    async () => {
      const existing = await store.digest(id);
      const known = new Set(existing?.rows.map((row) => `${row.userId}:${(row.found ?? []).join()}`));
      const fresh = rows.filter((row) => !known.has(`${row.userId}:${(row.found ?? []).join()}`));
      if (existing && fresh.length === 0) return { digest: existing, added: [] };
      const listed = [...(existing?.rows ?? []), ...fresh];
      const now = ctx.clock.now().toISOString();
      const next: DriftDigest = {
        ...(existing ?? {
          id,
          wabaId,
          alias: account.policy.alias,
          readAt,
          comparedWith: previous.readAt,
          createdAt: now,
          messages: [],
        }),
        readAt,
        rows: listed.slice(0, MAX_DIGEST_ROWS),
        omitted: (existing?.omitted ?? 0) + Math.max(0, listed.length - MAX_DIGEST_ROWS),
      };
      const saved = await saveAudited(ctx, next, {
        digestId: id,
        at: now,
        actor: 'system',
        event: 'reported',
        detail: `${fresh.length} change(s) on ${account.policy.alias}, read ${readAt}`,
      });
      if (!saved.postedAt) await store.setUnposted(id, true);
      return { digest: saved, added: fresh };
    },
    DIGEST_LOCK,
  );
  for (const row of added) {
    await store.appendPersonEvent(wabaId, row.userId, {
      kind: 'drift',
      at: ctx.clock.now().toISOString(),
      digestId: id,
      change: row.kind,
      expected: row.expected,
      found: row.found,
      readAt,
    });
  }
  // A digest already posted (a check cut short after posting) shows the rows added to it.
  if (added.length > 0 && digest.postedAt) await updateMessages(ctx, digest);
  return digest;
}

/**
 * The read becomes the baseline, and the day's history: what everyone held at the end of the read, and everyone who
 * held anything during the day (the previous day's end, every read, the bot's own writes). Days past the window are
 * pruned, with the rosters only they used.
 */
async function recordRead(
  ctx: DriftContext,
  wabaId: string,
  previous: SnapshotRef | undefined,
  readAt: string,
  observed: SeenUser[],
  histories: ReadonlyMap<string, readonly PersonEvent[]>,
): Promise<void> {
  const { store } = ctx.deps;
  const ref = rosterRef(observed);
  if (ref !== previous?.ref) await store.saveRoster(wabaId, ref, observed);
  const days = await store.days(wabaId);
  const today = dayOf(readAt);
  const last = days.at(-1);
  const sameDay = last?.day === today;
  const start = last ? ((await store.roster(wabaId, sameDay ? last.held : last.end)) ?? []) : [];
  const written: SeenUser[] = [];
  for (const [userId, events] of histories) {
    for (const write of writesOf(events)) {
      if (write.outcome === 'done' && write.tasks && dayOf(write.beganAt) === today)
        written.push({ id: userId, tasks: write.tasks });
    }
  }
  const held = unionOf(start, observed, written);
  const heldRef = rosterRef(held);
  if (heldRef !== ref && heldRef !== last?.held) await store.saveRoster(wabaId, heldRef, held);
  const record = {
    day: today,
    firstReadAt: sameDay ? last.firstReadAt : readAt,
    lastReadAt: readAt,
    end: ref,
    held: heldRef,
  };
  const kept = keptDays([...(sameDay ? days.slice(0, -1) : days), record], today, ctx.deps.historyDays);
  await store.saveSnapshot(wabaId, { readAt, ref });
  await store.saveDays(wabaId, kept);
  for (const unused of unusedRefs(days, kept, [ref])) await store.deleteRoster(wabaId, unused);
}

/**
 * People whose writes are all in this read no longer need their history read by the next check. Decided under each
 * person's lock, which every write is made under, so a write beginning meanwhile keeps them marked.
 */
async function settleWritten(ctx: DriftContext, wabaId: string, touched: string[], readStartedAt: number) {
  const { store, locker } = ctx.deps;
  for (const userId of touched) {
    try {
      await locker.withLock(
        userLockKey(wabaId, userId),
        async () => {
          if (allWritesBefore(await store.personEvents(wabaId, userId), readStartedAt))
            await store.untouch(wabaId, userId);
        },
        { waitMs: 1_000 },
      );
    } catch (error) {
      // Someone is changing this person's access: they stay marked, and the next check reads their history again.
      if (!isContention(error)) throw error;
    }
  }
}

/**
 * Posts a digest recorded but not yet posted, once across replicas (under the digest's lock). One whose account has
 * left the policy is dropped from the queue; one Slack refused stays queued for the next check.
 */
export async function postDigest(ctx: DriftContext, id: string): Promise<void> {
  const { store, locker, notifier } = ctx.deps;
  await locker.withLock(
    `drift-digest:${id}`,
    async () => {
      const digest = await store.digest(id);
      if (!digest || digest.postedAt) return store.setUnposted(id, false);
      if (!ctx.deps.accounts.forWaba(digest.wabaId)) {
        ctx.deps.logger?.warn({ digestId: id, wabaId: digest.wabaId }, 'drift digest dropped: account not configured');
        return store.setUnposted(id, false);
      }
      const refs = await notifier.post(digest);
      const now = ctx.clock.now().toISOString();
      await saveAudited(
        ctx,
        { ...digest, messages: refs.map((ref) => ({ ...ref, page: 0 })), postedAt: now },
        { digestId: id, at: now, actor: 'system', event: 'posted', detail: `${refs.length} message(s)` },
      );
      await store.setUnposted(id, false);
    },
    DIGEST_LOCK,
  );
}

/** Posts every digest left unposted (Slack was down, or a process died between recording and posting). */
export async function postUnposted(ctx: DriftContext): Promise<number> {
  let posted = 0;
  for (const id of await ctx.deps.store.unpostedDigests()) {
    try {
      await postDigest(ctx, id);
      posted++;
    } catch (error) {
      ctx.deps.logger?.warn({ err: error, digestId: id }, 'could not post a drift digest; trying again later');
    }
  }
  return posted;
}

/** Saves a digest with its audit entry in the same write, and logs the entry as request audits are logged. */
export async function saveAudited(
  ctx: DriftContext,
  digest: DriftDigest,
  entry: DriftAuditEntry,
): Promise<DriftDigest> {
  const saved = await ctx.deps.store.saveDigest(digest, entry);
  ctx.deps.logger?.info({ audit: entry }, `drift report ${entry.digestId} ${entry.event}`);
  return saved;
}

/** Redraws a digest's messages; Slack refusing is logged, never thrown: the digest's record stands. */
export async function updateMessages(ctx: DriftContext, digest: DriftDigest): Promise<void> {
  try {
    await ctx.deps.notifier.update(digest);
  } catch (error) {
    ctx.deps.logger?.warn({ err: error, digestId: digest.id }, 'could not update a drift digest');
  }
}
