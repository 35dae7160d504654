import { describe, expect, it } from 'vitest';
import type { DriftDigest, DriftRow } from '../../../src/access/drift.js';
import type { PersonHistory, WhoResult } from '../../../src/access/drift-service.js';
import {
  DIGEST_ROWS_PER_PAGE,
  digestMessage,
  driftClickReply,
  historyMessage,
  parseRowValue,
  temporaryModal,
  whoMessage,
} from '../../../src/slack/blocks/drift.js';
import { limitProblems, mrkdwnProblems, textsOf } from '../../support/mrkdwn-check.js';

const HOSTILE = '<!channel> `tick` *bold* <https://evil.example|Approve here> & co';
const LONG = 'N'.repeat(400);

function row(index: number, overrides: Partial<DriftRow> = {}): DriftRow {
  return {
    userId: String(300_000_000_000_000 + index),
    name: index % 2 ? HOSTILE : LONG,
    kind: (['added', 'removed', 'changed', 'grant-ended'] as const)[index % 4]!,
    expected: index % 4 === 0 ? null : ['MANAGE', 'MESSAGING', 'VIEW_COST', 'MANAGE_TEMPLATES'],
    found: index % 4 === 1 ? null : ['MESSAGING', 'FULL_CONTROL', 'MANAGE_USERS', 'MANAGE_BILLING'],
    grantIds: index % 4 === 3 ? ['abc0123456'] : [],
    status: 'open',
    ...overrides,
  };
}

function digest(rows: DriftRow[]): DriftDigest {
  return {
    id: 'a1b2c3-mhh0x1k0',
    wabaId: '1000000000001',
    alias: 'support',
    readAt: '2026-11-01T10:00:00.000Z',
    comparedWith: '2026-11-01T09:00:00.000Z',
    createdAt: '2026-11-01T10:00:01.000Z',
    rows,
    omitted: 7,
    messages: [],
  };
}

const ALLOWED = { users: ['UANN', 'UBOB', 'UALICE'] };

function problemsOf(payload: unknown): string[] {
  return [...limitProblems(payload), ...textsOf(payload).mrkdwn.flatMap((text) => mrkdwnProblems(text, ALLOWED))];
}

describe('drift digests', () => {
  it('fit Slack’s limits a page at a time, with foreign names shown inert, whatever each row’s state', () => {
    const states: Array<Partial<DriftRow>> = [
      {},
      { error: HOSTILE, by: 'UANN', at: '2026-11-01T10:05:00.000Z' },
      { status: 'acting', by: 'UBOB', at: '2026-11-01T10:05:00.000Z' },
      { status: 'accepted', by: 'UANN', at: '2026-11-01T10:05:00.000Z' },
      { status: 'reverted', by: 'UANN', at: '2026-11-01T10:05:00.000Z', alreadyDone: true },
      {
        status: 'temporary',
        by: 'UBOB',
        at: '2026-11-01T10:05:00.000Z',
        until: '2026-11-02T10:05:00.000Z',
        grantId: 'g1',
      },
      { status: 'superseded', by: 'UANN', at: '2026-11-01T10:05:00.000Z', now: ['MANAGE'] },
    ];
    const rows = Array.from({ length: 45 }, (_, i) => row(i, states[i % states.length]));
    for (const page of [0, 1, 2, 9]) {
      const message = digestMessage(digest(rows), page);
      expect(problemsOf(message)).toEqual([]);
      expect(message.blocks.length).toBeLessThanOrEqual(50);
      const text = JSON.stringify(message);
      expect(text).not.toContain('<!channel>');
      expect(text).toContain('&lt;!channel&gt;');
    }
    expect(JSON.stringify(digestMessage(digest(rows), 9))).toContain('page 3 of 3');
    expect(JSON.stringify(digestMessage(digest(rows), 0))).toContain('7 more changes are not listed here');
  });

  it('name the row in each button, and read it back only when it is well formed', () => {
    const message = digestMessage(digest(Array.from({ length: DIGEST_ROWS_PER_PAGE + 1 }, (_, i) => row(i))), 1);
    const values = message.blocks.flatMap((block) =>
      ((block as { elements?: Array<{ value?: string }> }).elements ?? []).map((e) => e.value ?? ''),
    );
    expect(values).toContain(`a1b2c3-mhh0x1k0:${DIGEST_ROWS_PER_PAGE}`);
    expect(parseRowValue(`a1b2c3-mhh0x1k0:${DIGEST_ROWS_PER_PAGE}`)).toEqual({
      digestId: 'a1b2c3-mhh0x1k0',
      index: DIGEST_ROWS_PER_PAGE,
    });
    for (const bad of ['', 'x', 'a:b', 'A:1', 'a:-1', `${'a'.repeat(81)}:1`, 'a:1:2'])
      expect(parseRowValue(bad)).toBeUndefined();
    const modal = temporaryModal(
      { digestId: 'a1b2c3-mhh0x1k0', index: 3, channelId: 'CAPPROVALS' },
      {
        row: row(2),
        maxMs: 30 * 86_400_000,
      },
    );
    expect(problemsOf(modal)).toEqual([]);
  });
  it('answer a time outside the account’s limits with the limit and how to try again', () => {
    const long = driftClickReply({ kind: 'too-long', maxMs: 30 * 86_400_000 })?.text;
    const short = driftClickReply({ kind: 'too-short', minMs: 3_600_000 })?.text;
    expect(long).toContain('longer than this account allows (30d at most); nothing changed');
    expect(long).toContain('Click *Make temporary* again and give 30d or less.');
    expect(short).toContain('shorter than this account allows (1h at least); nothing changed');
    expect(short).toContain('Click *Make temporary* again and give 1h or more.');
  });
});

describe('history and who', () => {
  it('fit Slack’s limits for a long history and a roster of 10,000', () => {
    const history: PersonHistory = {
      alias: 'support',
      userId: '300000000000001',
      name: HOSTILE,
      start: { day: '2025-10-01', tasks: ['MANAGE'] },
      now: { tasks: null, readAt: '2026-11-01T10:00:00.000Z' },
      events: Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? {
              kind: 'write' as const,
              at: '2026-11-01T10:00:00.000Z',
              writeId: `w${i}`,
              phase: 'intent' as const,
              tasks: ['MANAGE' as const],
              cause: `request:r${i}`,
              outcome: 'done' as const,
            }
          : i % 3 === 1
            ? {
                kind: 'drift' as const,
                at: '2026-11-01T10:00:00.000Z',
                digestId: 'd',
                change: 'added' as const,
                expected: null,
                found: ['MESSAGING' as const],
                readAt: '2026-11-01T10:00:00.000Z',
              }
            : {
                kind: 'drift-action' as const,
                at: '2026-11-01T10:00:00.000Z',
                digestId: 'd',
                action: 'temporary' as const,
                actor: 'UANN',
                tasks: ['MESSAGING' as const],
                until: '2026-11-02T10:00:00.000Z',
              },
      ),
      earlier: 12,
      requests: new Map([['r0', { requesterId: 'UBOB', approverIds: ['UANN'] }]]),
      firstDay: '2025-10-01',
      keepDays: 400,
    };
    expect(problemsOf(historyMessage(history, 'UALICE'))).toEqual([]);

    const held = Array.from({ length: 10_000 }, (_, i) => ({
      id: String(400_000_000_000_000 + i),
      tasks: ['MESSAGING' as const],
      name: i % 2 ? HOSTILE : `Agent ${i}`,
    }));
    const who: WhoResult = {
      kind: 'day',
      alias: 'support',
      day: '2026-11-01',
      carried: false,
      record: {
        day: '2026-11-01',
        firstReadAt: '2026-11-01T00:10:00.000Z',
        lastReadAt: '2026-11-01T23:10:00.000Z',
        end: 'a',
        held: 'b',
      },
      held,
      goneBy: new Set([held[1]!.id]),
    };
    const message = whoMessage(who);
    expect(problemsOf(message)).toEqual([]);
    expect(JSON.stringify(message)).toContain('Only the first part is shown');
  });
});
