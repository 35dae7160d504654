import { describe, expect, it } from 'vitest';
import type { PersonEvent } from '../../src/access/drift.js';
import {
  addDays,
  type DayRecord,
  isDay,
  keptDays,
  recordFor,
  rosterRef,
  shownEvents,
  unionOf,
  unusedRefs,
} from '../../src/access/history.js';

const record = (day: string, end: string, held = end): DayRecord => ({
  day,
  firstReadAt: `${day}T01:00:00.000Z`,
  lastReadAt: `${day}T23:00:00.000Z`,
  end,
  held,
});

describe('days', () => {
  it('knows real calendar days', () => {
    expect(isDay('2026-11-01')).toBe(true);
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-13-01')).toBe(false);
    expect(isDay('2026-1-01')).toBe(false);
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});

describe('rosters by content', () => {
  it('gives the same reference to the same people whatever the order, and another when a name changes', () => {
    const a = rosterRef([
      { id: '2', tasks: ['MESSAGING', 'MANAGE'] },
      { id: '1', tasks: ['MANAGE'], name: 'Ann' },
    ]);
    const b = rosterRef([
      { id: '1', tasks: ['MANAGE'], name: 'Ann' },
      { id: '2', tasks: ['MANAGE', 'MESSAGING'] },
    ]);
    expect(a).toBe(b);
    expect(rosterRef([{ id: '1', tasks: ['MANAGE'], name: 'Anne' }])).not.toBe(
      rosterRef([{ id: '1', tasks: ['MANAGE'], name: 'Ann' }]),
    );
  });

  it('unites rosters: everyone, with every task they held', () => {
    expect(
      unionOf(
        [{ id: '1', tasks: ['MANAGE'] }],
        [
          { id: '1', tasks: ['MESSAGING'], name: 'Ann' },
          { id: '2', tasks: [] },
        ],
      ),
    ).toEqual([{ id: '1', tasks: ['MANAGE', 'MESSAGING'], name: 'Ann' }]);
  });
});

describe('the window', () => {
  const days = [
    record('2026-10-29', 'a'),
    record('2026-10-30', 'a', 'b'),
    record('2026-10-31', 'c'),
    record('2026-11-01', 'c'),
  ];

  it('keeps the last N days, and frees rosters only dropped days used', () => {
    const kept = keptDays(days, '2026-11-01', 2);
    expect(kept.map((d) => d.day)).toEqual(['2026-10-31', '2026-11-01']);
    expect(unusedRefs(days, kept, []).sort()).toEqual(['a', 'b']);
    expect(unusedRefs(days, kept, ['a'])).toEqual(['b']);
  });

  it('answers for a day: its record, the last earlier one, or why not', () => {
    const sparse = [record('2026-10-29', 'a'), record('2026-11-01', 'c')];
    expect(recordFor(sparse, '2026-10-29', '2026-11-01', 400)).toMatchObject({ kind: 'day', carried: false });
    expect(recordFor(sparse, '2026-10-30', '2026-11-01', 400)).toMatchObject({
      kind: 'day',
      carried: true,
      record: { day: '2026-10-29' },
    });
    expect(recordFor(sparse, '2026-11-02', '2026-11-01', 400)).toEqual({ kind: 'future', today: '2026-11-01' });
    expect(recordFor(sparse, '2026-10-28', '2026-11-01', 400)).toEqual({
      kind: 'before-history',
      first: '2026-10-29',
      keepDays: 400,
    });
    expect(recordFor(sparse, '2026-10-29', '2026-11-01', 2)).toMatchObject({ kind: 'before-history' });
    expect(recordFor([], '2026-11-01', '2026-11-01', 400)).toMatchObject({ kind: 'before-history', first: null });
  });
});

describe('a person’s events as shown', () => {
  it('shows each write once, where it began, with how it ended', () => {
    const events: PersonEvent[] = [
      {
        kind: 'write',
        at: '2026-11-01T10:00:00.000Z',
        writeId: 'a',
        phase: 'intent',
        tasks: ['MANAGE'],
        cause: 'request:r1',
      },
      {
        kind: 'drift',
        at: '2026-11-01T10:00:01.000Z',
        digestId: 'd',
        change: 'added',
        expected: null,
        found: ['MESSAGING'],
        readAt: '2026-11-01T10:00:00.500Z',
      },
      {
        kind: 'write',
        at: '2026-11-01T10:00:02.000Z',
        writeId: 'a',
        phase: 'done',
        tasks: ['MANAGE'],
        cause: 'request:r1',
      },
      { kind: 'write', at: '2026-11-01T11:00:00.000Z', writeId: 'b', phase: 'intent', tasks: null },
      { kind: 'write', at: '2026-10-01T11:00:00.000Z', writeId: 'old', phase: 'intent', tasks: null },
    ];
    const shown = shownEvents(events, '2026-10-15');
    expect(shown.map((e) => (e.kind === 'write' ? `${e.writeId}:${e.outcome}@${e.at.slice(11, 19)}` : e.kind))).toEqual(
      ['a:done@10:00:00', 'drift', 'b:under-way@11:00:00'],
    );
  });
});
