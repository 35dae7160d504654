import { describe, expect, it } from 'vitest';
import {
  acceptedLedger,
  actionsFor,
  allWritesBefore,
  changesBetween,
  classify,
  type DriftRow,
  expectation,
  type PersonEvent,
  temporaryLedger,
  WRITE_LEASE_MS,
} from '../../src/access/drift.js';
import type { TemporaryGrant } from '../../src/access/grants.js';
import type { Task } from '../../src/access/tasks.js';

const T0 = Date.parse('2026-11-01T10:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function write(
  id: string,
  beganMs: number,
  tasks: Task[] | null,
  settled?: { ms: number; outcome: 'done' | 'unknown' },
) {
  const events: PersonEvent[] = [{ kind: 'write', at: at(beganMs), writeId: id, phase: 'intent', tasks }];
  if (settled) events.push({ kind: 'write', at: at(settled.ms), writeId: id, phase: settled.outcome, tasks });
  return events;
}

const roster = (users: Record<string, Task[]>) => ({
  readAt: at(0),
  users: Object.entries(users).map(([id, tasks]) => ({ id, tasks })),
});

describe('what the bot expects after its own writes', () => {
  const since = T0;
  const readAt = T0 + 60_000;

  it('expects the last write Graph confirmed since the last read', () => {
    const histories = new Map([
      [
        '1',
        [
          ...write('a', 1_000, ['MANAGE'], { ms: 2_000, outcome: 'done' }),
          ...write('b', 3_000, null, { ms: 4_000, outcome: 'done' }),
        ],
      ],
    ]);
    const expected = expectation(histories, since, readAt);
    expect(expected.written.get('1')).toBeNull();
    expect(expected.unsure.size).toBe(0);
  });

  it('leaves out writes the last read already held', () => {
    const histories = new Map([['1', write('a', -5_000, ['MANAGE'], { ms: -4_000, outcome: 'done' })]]);
    expect(expectation(histories, since, readAt).written.has('1')).toBe(false);
  });

  it('counts a write begun before the last read and settled after it', () => {
    const histories = new Map([['1', write('a', -5_000, ['MESSAGING'], { ms: 1_000, outcome: 'done' })]]);
    expect(expectation(histories, since, readAt).written.get('1')).toEqual(['MESSAGING']);
  });

  it('cannot place a write under way during the read, begun after it, failed, or without an outcome', () => {
    const histories = new Map([
      ['during', write('a', 50_000, ['MANAGE'], { ms: 70_000, outcome: 'done' })],
      ['after', write('b', 61_000, ['MANAGE'], { ms: 62_000, outcome: 'done' })],
      ['failed', write('c', 1_000, ['MANAGE'], { ms: 2_000, outcome: 'unknown' })],
      ['open', write('d', 1_000, ['MANAGE'])],
    ]);
    const expected = expectation(histories, since, readAt);
    expect([...expected.unsure].sort()).toEqual(['after', 'during', 'failed', 'open']);
    expect(expected.written.size).toBe(0);
  });

  it('gives up on a write left without an outcome past the lease: it ended with its process', () => {
    const events = write('a', 1_000, ['MANAGE']);
    const later = T0 + 1_000 + WRITE_LEASE_MS + 1;
    expect(expectation(new Map([['1', events]]), since, later).unsure.has('1')).toBe(true);
    expect(allWritesBefore(events, later)).toBe(true);
    // The read after that one no longer has to look at it.
    expect(expectation(new Map([['1', events]]), later, later + 60_000).unsure.has('1')).toBe(false);
  });

  it('keeps a person marked while a write of theirs is under way', () => {
    expect(allWritesBefore(write('a', 1_000, ['MANAGE']), T0 + 60_000)).toBe(false);
    expect(allWritesBefore(write('a', 1_000, ['MANAGE'], { ms: 70_000, outcome: 'done' }), T0 + 60_000)).toBe(false);
    expect(allWritesBefore(write('a', 1_000, ['MANAGE'], { ms: 2_000, outcome: 'done' }), T0 + 60_000)).toBe(true);
  });
});

describe('changes between two reads', () => {
  it('finds people added, removed and with other tasks, and nothing the bot did itself', () => {
    const before = roster({ '1': ['MANAGE'], '2': ['MESSAGING'], '3': ['VIEW_COST'], '5': ['MANAGE'] });
    const now = roster({ '1': ['MANAGE', 'VIEW_COST'], '3': ['VIEW_COST'], '4': ['MESSAGING'], '6': ['MESSAGING'] });
    const changes = changesBetween(before, now, {
      written: new Map([
        ['5', null],
        ['6', ['MESSAGING']],
      ]),
      unsure: new Set(),
    });
    expect(changes).toEqual([
      { userId: '1', expected: ['MANAGE'], found: ['MANAGE', 'VIEW_COST'] },
      { userId: '2', expected: ['MESSAGING'], found: null },
      { userId: '4', expected: null, found: ['MESSAGING'] },
    ]);
  });

  it('reports a change that undid the bot’s own write, and skips people it cannot place', () => {
    const before = roster({ '1': ['MANAGE'], '2': ['MANAGE'] });
    const now = roster({ '1': ['MANAGE'], '2': ['VIEW_COST'] });
    const changes = changesBetween(before, now, {
      written: new Map([['1', ['MANAGE', 'MESSAGING']]]),
      unsure: new Set(['2']),
    });
    expect(changes).toEqual([{ userId: '1', expected: ['MANAGE', 'MESSAGING'], found: ['MANAGE'] }]);
  });
});

function grant(id: string, tasks: Task[]): TemporaryGrant {
  return {
    id,
    requestId: id,
    wabaId: 'w',
    userId: '1',
    tasks,
    requesterId: 'ULEAD',
    originChannelId: 'C',
    startsAt: at(0),
    endsAt: at(3_600_000),
    state: 'active',
    conflictMessages: [],
  };
}

describe('kinds of change', () => {
  it('tells an addition, a removal, a task change and a temporary grant ended outside the bot', () => {
    expect(classify({ userId: '1', expected: null, found: ['MESSAGING'] }, []).kind).toBe('added');
    expect(classify({ userId: '1', expected: ['MESSAGING'], found: null }, []).kind).toBe('removed');
    expect(classify({ userId: '1', expected: ['MANAGE'], found: ['MESSAGING'] }, []).kind).toBe('changed');
    const live = [grant('g1', ['MESSAGING'])];
    expect(classify({ userId: '1', expected: ['MANAGE', 'MESSAGING'], found: ['MANAGE'] }, live)).toEqual({
      kind: 'grant-ended',
      grantIds: ['g1'],
    });
    expect(classify({ userId: '1', expected: ['MESSAGING'], found: null }, live).kind).toBe('grant-ended');
    // Something else changed too: a task change that also ended the grant.
    expect(classify({ userId: '1', expected: ['MANAGE', 'MESSAGING'], found: ['VIEW_COST'] }, live)).toEqual({
      kind: 'changed',
      grantIds: ['g1'],
    });
  });

  it('offers Make temporary only where the change gave access', () => {
    const row = (expected: Task[] | null, found: Task[] | null): DriftRow => ({
      userId: '1',
      kind: 'changed',
      expected,
      found,
      grantIds: [],
      status: 'open',
    });
    expect(actionsFor(row(null, ['MESSAGING']))).toEqual(['accept', 'revert', 'temporary']);
    expect(actionsFor(row(['MANAGE'], ['MESSAGING']))).toEqual(['accept', 'revert', 'temporary']);
    expect(actionsFor(row(['MANAGE', 'MESSAGING'], ['MANAGE']))).toEqual(['accept', 'revert']);
    expect(actionsFor({ ...row(null, ['MESSAGING']), status: 'accepted' })).toEqual([]);
  });
});

describe('the ledger after Accept and Make temporary', () => {
  it('Accept ends grants whose tasks are gone and adopts what is held beyond the rest', () => {
    const live = [grant('g1', ['MESSAGING']), grant('g2', ['VIEW_COST'])];
    const ledger = { baseline: ['MANAGE'] as Task[], liveGrantIds: ['g1', 'g2'] };
    const accepted = acceptedLedger(ledger, live, ['MANAGE', 'VIEW_COST', 'VIEW_TEMPLATES']);
    expect(accepted.lost.map((g) => g.id)).toEqual(['g1']);
    expect(accepted.ledger).toEqual({ baseline: ['MANAGE', 'VIEW_TEMPLATES'], liveGrantIds: ['g2'] });
    // Nothing lost: the extra task joins the baseline, the grant still ends cleanly later.
    const kept = acceptedLedger(ledger, live, ['MANAGE', 'VIEW_COST', 'MESSAGING', 'MANAGE_TEMPLATES']);
    expect(kept).toEqual({
      ledger: { baseline: ['MANAGE', 'MANAGE_TEMPLATES'], liveGrantIds: ['g1', 'g2'] },
      lost: [],
    });
    // The last grant gone: no ledger left.
    expect(acceptedLedger({ baseline: null, liveGrantIds: ['g1'] }, [live[0]!], null).ledger).toBeUndefined();
  });

  it('Make temporary keeps what the change gave on top of what the bot expected, taken tasks back now', () => {
    const plan = temporaryLedger(undefined, [], { expected: ['MANAGE'], found: ['MESSAGING'] }, 'g9');
    expect(plan).toEqual({
      ledger: { baseline: ['MANAGE'], liveGrantIds: ['g9'] },
      added: ['MESSAGING'],
      target: ['MANAGE', 'MESSAGING'],
    });
    const onTop = temporaryLedger(
      { baseline: ['MANAGE'], liveGrantIds: ['g1'] },
      [grant('g1', ['VIEW_COST'])],
      { expected: ['MANAGE', 'VIEW_COST'], found: ['MANAGE', 'VIEW_COST', 'MESSAGING'] },
      'g9',
    );
    expect(onTop.ledger).toEqual({ baseline: ['MANAGE'], liveGrantIds: ['g1', 'g9'] });
    expect(onTop.target).toEqual(['MANAGE', 'VIEW_COST', 'MESSAGING']);
  });
});
