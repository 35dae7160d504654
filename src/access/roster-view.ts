import type { AssignedUser } from '../graph/schemas.js';
import type { Task } from './tasks.js';
import type { Roster, WabaAccess } from './waba.js';

/** Which users a list shows: those holding a task, one user, or those whose name or id contains some text. */
export type RosterFilter =
  | { kind: 'task'; task: Task }
  | { kind: 'user'; userId: string }
  | { kind: 'text'; text: string };

/** Where a page starts: after the user with this id, or (when that user is gone) at this position. */
export interface PageCursor {
  afterId?: string;
  offset: number;
}

/** One page of a roster, in name order. */
export interface RosterPage {
  users: AssignedUser[];
  /** Position of the first user shown among those matching, from 0. */
  start: number;
  /** How many users match the filter (all of them without one). */
  matched: number;
  /** How many users the roster has. */
  total: number;
  /** When the roster was read (ISO 8601). */
  readAt: string;
  /** Where the next page starts; unset on the last page. */
  next?: PageCursor;
}

/** How many users a page shows. */
export const ROSTER_PAGE_SIZE = 25;

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
/** Users in name order, by roster: sorted once per read, however many pages are shown from it. */
const sortedRosters = new WeakMap<Roster, AssignedUser[]>();

function sorted(roster: Roster): AssignedUser[] {
  let users = sortedRosters.get(roster);
  if (!users) {
    users = [...roster.users].sort((a, b) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
    sortedRosters.set(roster, users);
  }
  return users;
}

function matches(filter: RosterFilter | undefined): (user: AssignedUser) => boolean {
  if (!filter) return () => true;
  switch (filter.kind) {
    case 'task':
      return (user) => user.tasks.some((task) => task.toUpperCase() === filter.task);
    case 'user':
      return (user) => user.id === filter.userId;
    case 'text': {
      const text = filter.text.toLowerCase();
      return (user) => user.id.includes(text) || user.name.toLowerCase().includes(text);
    }
  }
}

/** One page of `roster`: the users matching `filter`, from `cursor` on, at most `size` of them. */
export function rosterPage(
  roster: Roster,
  filter: RosterFilter | undefined,
  cursor: PageCursor = { offset: 0 },
  size = ROSTER_PAGE_SIZE,
): RosterPage {
  const matching = filter ? sorted(roster).filter(matches(filter)) : sorted(roster);
  // After the user last shown, so people added or removed since do not shift the page; by position if they left.
  const after = cursor.afterId === undefined ? -1 : matching.findIndex((user) => user.id === cursor.afterId);
  const start = after >= 0 ? after + 1 : Math.min(Math.max(0, cursor.offset), matching.length);
  const users = matching.slice(start, start + size);
  const end = start + users.length;
  return {
    users,
    start,
    matched: matching.length,
    total: roster.users.length,
    readAt: roster.readAt,
    ...(end < matching.length ? { next: { afterId: users[users.length - 1]!.id, offset: end } } : {}),
  };
}

/** How a page was come by: from the cache, a read, or the last read because Meta asked us to wait. */
export type RosterSource = { kind: 'read' } | { kind: 'held'; until: number };

/**
 * The roster a list needs. `fresh` forces a new read (Refresh); `anyAge` takes the last read however old (Show more
 * pages through the read the list began with). While Meta holds calls about the WABA, the last read is shown instead
 * of waiting, with when calls resume; with no read at all, the read waits or fails as any Graph call would.
 */
export async function rosterFor(
  waba: WabaAccess,
  options: { fresh?: boolean; anyAge?: boolean } = {},
): Promise<{ roster: Roster; source: RosterSource }> {
  const last = waba.lastRoster();
  if (options.anyAge && last) return { roster: last, source: { kind: 'read' } };
  if (!options.fresh) {
    const cached = waba.cachedRoster();
    if (cached) return { roster: cached, source: { kind: 'read' } };
  }
  const heldUntil = waba.budget().heldUntil;
  if (heldUntil > 0 && last) return { roster: last, source: { kind: 'held', until: heldUntil } };
  return { roster: await waba.roster(options.fresh ? { fresh: true } : {}), source: { kind: 'read' } };
}

/** Whether getting the roster this way would call Graph (what the per-person command limit counts). */
export function rosterCostsCalls(waba: WabaAccess, options: { fresh?: boolean; anyAge?: boolean } = {}): boolean {
  if (options.anyAge && waba.lastRoster()) return false;
  if (!options.fresh && waba.cachedRoster()) return false;
  return !(waba.budget().heldUntil > 0 && waba.lastRoster());
}
