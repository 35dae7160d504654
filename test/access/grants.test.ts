import { describe, expect, it } from 'vitest';
import {
  expectedAccess,
  type Ledger,
  ledgerAfterEnd,
  ledgerAfterGrant,
  planExpiry,
  type TemporaryGrant,
} from '../../src/access/grants.js';
import type { Task } from '../../src/graph/tasks.js';

function grant(id: string, tasks: Task[]): TemporaryGrant {
  return {
    id,
    requestId: id,
    wabaId: '1',
    userId: '2',
    tasks,
    requesterId: 'ULEAD',
    originChannelId: 'C',
    startsAt: '2026-01-01T00:00:00.000Z',
    endsAt: '2026-01-01T01:00:00.000Z',
    state: 'active',
    conflictMessages: [],
  };
}

/** Runs a grant through the ledger as the service does: read, write the union, record. */
function give(ledger: Ledger | undefined, live: TemporaryGrant[], holding: Task[] | null, g: TemporaryGrant) {
  const next = ledgerAfterGrant(ledger, live, holding, g.tasks, g.id);
  return { ledger: next, live: [...live, g], holding: expectedAccess(next, [...live, g]) };
}

describe('temporary grants', () => {
  it('puts back exactly the prior tasks', () => {
    const a = grant('a', ['MESSAGING']);
    const s = give(undefined, [], ['MANAGE'], a);
    expect(s.holding).toEqual(['MANAGE', 'MESSAGING']);
    expect(planExpiry(s.ledger, s.live, a, s.holding)).toEqual({ kind: 'assign', target: ['MANAGE'] });
    expect(ledgerAfterEnd(s.ledger, s.live, a, ['MANAGE'])).toEqual({ baseline: ['MANAGE'], liveGrantIds: [] });
  });

  it('removes only a user who had no access before', () => {
    const a = grant('a', ['MESSAGING']);
    const s = give(undefined, [], null, a);
    expect(planExpiry(s.ledger, s.live, a, ['MESSAGING'])).toEqual({ kind: 'remove' });
  });

  it('never removes tasks another live grant still covers, whichever ends first', () => {
    const a = grant('a', ['MESSAGING']);
    const b = grant('b', ['MESSAGING', 'VIEW_COST']);
    let s = give(undefined, [], ['MANAGE'], a);
    s = give(s.ledger, s.live, s.holding, b);
    expect(s.holding).toEqual(['MANAGE', 'VIEW_COST', 'MESSAGING']);

    // a ends first: b still covers MESSAGING and VIEW_COST, so nothing changes.
    expect(planExpiry(s.ledger, s.live, a, s.holding)).toEqual({ kind: 'unchanged', target: s.holding });
    const afterA = ledgerAfterEnd(s.ledger, s.live, a, s.holding);
    expect(afterA).toEqual({ baseline: ['MANAGE'], liveGrantIds: ['b'] });
    // then b ends: back to MANAGE alone — MESSAGING was never the user's own.
    expect(planExpiry(afterA, [b], b, s.holding)).toEqual({ kind: 'assign', target: ['MANAGE'] });
  });

  it('ends the later grant first without taking what the earlier one gave', () => {
    const a = grant('a', ['MESSAGING']);
    const b = grant('b', ['VIEW_COST']);
    let s = give(undefined, [], null, a);
    s = give(s.ledger, s.live, s.holding, b);
    expect(planExpiry(s.ledger, s.live, b, s.holding)).toEqual({ kind: 'assign', target: ['MESSAGING'] });
    const afterB = ledgerAfterEnd(s.ledger, s.live, b, ['MESSAGING']);
    expect(afterB).toEqual({ baseline: null, liveGrantIds: ['a'] });
    expect(planExpiry(afterB, [a], a, ['MESSAGING'])).toEqual({ kind: 'remove' });
  });

  it('keeps a permanent grant made while a temporary one is live', () => {
    const a = grant('a', ['MESSAGING']);
    const s = give(undefined, [], ['MANAGE'], a);
    const permanent = ledgerAfterGrant(s.ledger, s.live, s.holding, ['VIEW_COST']);
    expect(permanent).toEqual({ baseline: ['MANAGE', 'VIEW_COST'], liveGrantIds: ['a'] });
    // A permanent grant of a task the temporary grant also gave keeps it after the temporary one ends.
    const same = ledgerAfterGrant(s.ledger, s.live, s.holding, ['MESSAGING']);
    expect(planExpiry(same, s.live, a, s.holding)).toEqual({ kind: 'unchanged', target: ['MANAGE', 'MESSAGING'] });
  });

  it('reports a conflict when someone changed the user meanwhile, with what ending would set', () => {
    const a = grant('a', ['MESSAGING']);
    const s = give(undefined, [], ['MANAGE'], a);
    expect(planExpiry(s.ledger, s.live, a, ['MANAGE', 'MESSAGING', 'VIEW_COST'])).toEqual({
      kind: 'conflict',
      expected: ['MANAGE', 'MESSAGING'],
      found: ['MANAGE', 'VIEW_COST', 'MESSAGING'],
      target: ['MANAGE'],
    });
    expect(planExpiry(s.ledger, s.live, a, null)).toMatchObject({ kind: 'conflict', found: null });
    // Keeping the change adopts it: the user keeps what they hold now.
    expect(ledgerAfterEnd(s.ledger, s.live, a, ['MANAGE', 'VIEW_COST'])).toEqual({
      baseline: ['MANAGE', 'VIEW_COST'],
      liveGrantIds: [],
    });
  });
});
