import { describe, expect, it } from 'vitest';
import { rosterPage } from '../../src/access/roster-view.js';
import type { Roster } from '../../src/access/waba.js';

const READ_AT = '2025-11-30T08:00:00.000Z';

function roster(count: number): Roster {
  return {
    // Ids out of name order, so sorting is visible.
    users: Array.from({ length: count }, (_, i) => ({
      id: String(900_000 - i),
      name: `User ${i}`,
      tasks: i % 3 === 0 ? ['MESSAGING'] : ['MANAGE'],
    })),
    readAt: READ_AT,
  };
}

describe('rosterPage', () => {
  it('pages through 10,000 users in name order, each user once, with counts and the read time', () => {
    const read = roster(10_000);
    const seen: string[] = [];
    let page = rosterPage(read, undefined);
    expect(page).toMatchObject({ start: 0, matched: 10_000, total: 10_000, readAt: READ_AT });
    expect(page.users.map((user) => user.name).slice(0, 3)).toEqual(['User 0', 'User 1', 'User 2']);
    for (let pages = 1; ; pages++) {
      expect(page.users.length).toBeLessThanOrEqual(25);
      seen.push(...page.users.map((user) => user.id));
      if (!page.next) {
        expect(pages).toBe(400);
        break;
      }
      page = rosterPage(read, undefined, page.next);
    }
    expect(new Set(seen).size).toBe(10_000);
  });

  it('filters by task, by user, and by text in the name or id, case-insensitively', () => {
    const read = roster(100);
    expect(rosterPage(read, { kind: 'task', task: 'MESSAGING' })).toMatchObject({ matched: 34, total: 100 });
    expect(rosterPage(read, { kind: 'user', userId: '899990' }).users.map((user) => user.name)).toEqual(['User 10']);
    expect(rosterPage(read, { kind: 'text', text: 'user 9' }).matched).toBe(11);
    expect(rosterPage(read, { kind: 'text', text: '89990' }).matched).toBe(9);
    expect(rosterPage(read, { kind: 'text', text: 'nobody' })).toMatchObject({ matched: 0, users: [] });
  });

  it('continues after the last user shown when the roster changed, and by position when that user is gone', () => {
    const read = roster(60);
    const first = rosterPage(read, undefined);
    const lastShown = first.users[24]!;
    // Someone sorted before the cursor joined: the next page still starts right after the last user shown.
    const grown: Roster = { ...read, users: [{ id: '1', name: 'Aaron', tasks: [] }, ...read.users] };
    expect(rosterPage(grown, undefined, first.next).users[0]?.name).toBe(
      rosterPage(read, undefined, first.next).users[0]?.name,
    );
    const shrunk: Roster = { ...read, users: read.users.filter((user) => user.id !== lastShown.id) };
    expect(rosterPage(shrunk, undefined, first.next).start).toBe(25);
    expect(rosterPage(read, undefined, { offset: 1_000 })).toMatchObject({ users: [], start: 60 });
  });
});
