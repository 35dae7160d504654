import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PersonEvent, SeenUser } from './drift.js';
import { normalizeTasks } from './tasks.js';

/**
 * Who had access when. Each drift check records the roster it read under the day it was read (UTC): what everyone
 * held at the end of that day's last read, and everyone who held anything at some moment of the day as the bot saw it
 * (the state at midnight, every read, and the bot's own writes). Rosters are stored once by content, so a quiet
 * account costs one roster however many days are kept; days older than the window are pruned with any roster no
 * kept day still uses.
 */

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** One day of history: when it was read, and the rosters (by reference) it ended with and saw during the day. */
export const dayRecordSchema = z.object({
  day: z.string().regex(DAY),
  firstReadAt: z.iso.datetime(),
  lastReadAt: z.iso.datetime(),
  /** Everyone as the day's last read saw them. */
  end: z.string(),
  /** Everyone who held access at some moment of the day, with every task they held. */
  held: z.string(),
});
export type DayRecord = z.infer<typeof dayRecordSchema>;

/** The UTC day of a moment, as `YYYY-MM-DD`. */
export function dayOf(at: Date | number | string): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The day `days` after `day` (before, when negative). */
export function addDays(day: string, days: number): string {
  return dayOf(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

/** Whether `text` is a real calendar day `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  return DAY.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && dayOf(`${text}T00:00:00Z`) === text;
}

/** A roster's content reference: the same people with the same tasks and names always get the same one. */
export function rosterRef(users: readonly SeenUser[]): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(users)))
    .digest('hex')
    .slice(0, 24);
}

/** People sorted by id, tasks in order, nobody without tasks: the form rosters are stored and compared in. */
export function canonical(users: readonly SeenUser[]): SeenUser[] {
  return users
    .filter((user) => user.tasks.length > 0)
    .map((user) => ({ id: user.id, tasks: normalizeTasks(user.tasks), ...(user.name ? { name: user.name } : {}) }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Everyone in any of the rosters, each with every task they held in any (the latest name wins). */
export function unionOf(...rosters: ReadonlyArray<readonly SeenUser[]>): SeenUser[] {
  const byId = new Map<string, SeenUser>();
  for (const roster of rosters) {
    for (const user of roster) {
      const seen = byId.get(user.id);
      const name = user.name || seen?.name;
      byId.set(user.id, {
        id: user.id,
        tasks: normalizeTasks([...(seen?.tasks ?? []), ...user.tasks]),
        ...(name ? { name } : {}),
      });
    }
  }
  return canonical([...byId.values()]);
}

/** The days within `keepDays` of `today` (today included). */
export function keptDays(days: readonly DayRecord[], today: string, keepDays: number): DayRecord[] {
  const first = addDays(today, -(keepDays - 1));
  return days.filter((record) => record.day >= first);
}

/** Roster references the old days used that neither the kept days nor `still` (e.g. the snapshot) use. */
export function unusedRefs(old: readonly DayRecord[], kept: readonly DayRecord[], still: readonly string[]): string[] {
  const used = new Set([...kept.flatMap((record) => [record.end, record.held]), ...still]);
  return [...new Set(old.flatMap((record) => [record.end, record.held]))].filter((ref) => !used.has(ref));
}

/** What the history can say about one day. */
export type DayAnswer =
  /** The day's record; `carried`: no read that day, so the last earlier read stands for it. */
  | { kind: 'day'; record: DayRecord; carried: boolean }
  | { kind: 'future'; today: string }
  /** Before the first day kept: history starts at `first` (null: nothing recorded yet). */
  | { kind: 'before-history'; first: string | null; keepDays: number };

/** Which record answers for `day`. */
export function recordFor(days: readonly DayRecord[], day: string, today: string, keepDays: number): DayAnswer {
  if (day > today) return { kind: 'future', today };
  const first = days[0]?.day ?? null;
  const windowStart = addDays(today, -(keepDays - 1));
  if (first === null || day < first || day < windowStart) return { kind: 'before-history', first, keepDays };
  const exact = days.find((record) => record.day === day);
  if (exact) return { kind: 'day', record: exact, carried: false };
  const earlier = days.filter((record) => record.day < day).at(-1)!;
  return { kind: 'day', record: earlier, carried: true };
}

/** A person's history as shown: each write once (begun, with how it ended), drift reports and actions. */
export type ShownEvent =
  | Exclude<PersonEvent, { kind: 'write' }>
  | (Extract<PersonEvent, { kind: 'write' }> & { outcome: 'done' | 'unknown' | 'under-way' });

/** Events worth showing within the window from `fromDay`: each write at the moment it began, with its outcome. */
export function shownEvents(events: readonly PersonEvent[], fromDay: string): ShownEvent[] {
  const shown: ShownEvent[] = [];
  const writes = new Map<string, number>();
  for (const event of events) {
    if (dayOf(event.at) < fromDay) continue;
    if (event.kind !== 'write') shown.push(event);
    else if (event.phase === 'intent') {
      writes.set(event.writeId, shown.length);
      shown.push({ ...event, outcome: 'under-way' });
    } else {
      const index = writes.get(event.writeId);
      const begun = index === undefined ? undefined : shown[index];
      if (begun?.kind === 'write') shown[index!] = { ...begun, outcome: event.phase };
    }
  }
  return shown;
}
