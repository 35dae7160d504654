import { describe, expect, it } from 'vitest';
import { REVIEW_PAGE_SIZE, type Review, reviewPages, summarize } from '../../../src/access/review.js';
import { reviewClickReply, reviewMessage, reviewSummaryMessage } from '../../../src/slack/blocks/review.js';
import { parseCommand } from '../../../src/slack/command-grammar.js';
import { ACTION } from '../../../src/slack/ids.js';
import { LIMITS } from '../../../src/slack/limits.js';
import { parseUntil } from '../../../src/slack/listeners/review.js';
import { decodePageRef, decodeRowRef, encodeRowRef } from '../../../src/slack/review-state.js';
import { buttonsOf, visibleText } from '../../support/message-text.js';
import { limitProblems } from '../../support/mrkdwn-check.js';

const users = Array.from({ length: 10_000 }, (_, i) => ({
  id: String(100_000_000_000_001 + i),
  name: `User ${i + 1} ${'with a long name '.repeat(4)}`,
  user_type: 'BUSINESS_USER',
  tasks: ['MANAGE', 'MESSAGING', 'VIEW_TEMPLATES', 'MANAGE_TEMPLATES', 'VIEW_INSIGHTS', 'VIEW_COST'],
}));
const pages = reviewPages('abc123', users);

function reviewOf(overrides: Partial<Review> = {}): Review {
  return {
    id: 'abc123',
    wabaId: '1000000000001',
    accountAlias: 'support',
    startedBy: 'UANN',
    startedAt: '2026-03-01T09:00:00.000Z',
    readAt: '2026-03-01T09:00:00.000Z',
    total: users.length,
    pages: pages.length,
    state: 'open',
    decidedByPage: pages.map(() => 0),
    working: [],
    reviewers: [],
    messages: [{ channel: 'CAPPROVALS', ts: '1.0', page: 0 }],
    updatedAt: '2026-03-01T09:00:00.000Z',
    ...overrides,
  };
}

describe('a review of 10,000 people', () => {
  it('is 1,000 pages of ten, each page one message within Slack’s limits', () => {
    expect(pages).toHaveLength(10_000 / REVIEW_PAGE_SIZE);
    for (const number of [0, 1, 500, 999]) {
      const body = reviewMessage(reviewOf(), pages[number]!);
      expect(limitProblems(body)).toEqual([]);
      expect(body.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
      expect(buttonsOf(body).filter((id) => id === ACTION.reviewKeep)).toHaveLength(10);
      const ids = body.blocks.map((block) => block.block_id).filter(Boolean);
      expect(new Set(ids).size).toBe(ids.length);
    }
    const middle = visibleText(reviewMessage(reviewOf(), pages[500]!));
    expect(middle).toContain('People 5001–5010 of 10000 · page 501 of 1000');
    expect(buttonsOf(reviewMessage(reviewOf(), pages[0]!)).filter((id) => id === ACTION.reviewPage)).toHaveLength(1);
    expect(buttonsOf(reviewMessage(reviewOf(), pages[500]!)).filter((id) => id === ACTION.reviewPage)).toHaveLength(2);
  });

  it('sums up thousands of removals in one message that names the first few and counts the rest', () => {
    const decided = pages.map((page) => ({
      ...page,
      rows: page.rows.map((row, i) => ({
        ...row,
        decision:
          i % 2
            ? { kind: 'keep' as const, by: 'UANN', at: '2026-03-02T09:00:00.000Z' }
            : {
                kind: 'remove' as const,
                by: 'UBOB',
                at: '2026-03-02T09:00:00.000Z',
                requestId: `q${i}`,
                status: 'removed' as const,
              },
      })),
    }));
    const summary = summarize(decided);
    expect(summary.kept).toBe(5_000);
    expect(summary.removed).toHaveLength(5_000);
    const body = reviewSummaryMessage(reviewOf({ state: 'closed', closedAt: '2026-03-03T09:00:00.000Z' }), summary);
    expect(limitProblems(body)).toEqual([]);
    expect(visibleText(body)).toContain('Kept: 5000 · removed: 5000 · made temporary: 0.');
    expect(visibleText(body)).toContain('…and 4975 more');
  });
});

describe('row references', () => {
  it('round-trips, and refuses anything that is not one', () => {
    const ref = { reviewId: 'abc123', page: 12, index: 3, userId: '100000000000001' };
    expect(decodeRowRef(encodeRowRef(ref))).toEqual(ref);
    for (const junk of [
      undefined,
      '',
      'junk',
      'a:b:c:d',
      'abc:1:2',
      'abc:1:2:3:4',
      'a b:1:2:3',
      `${'x'.repeat(65)}:1:2:3`,
      'abc:1:2:12a',
      `abc:1:2:${'1'.repeat(33)}`,
    ])
      expect(decodeRowRef(junk)).toBeUndefined();
    // The person is any Meta id, checked by the one pattern in graph/ids.ts.
    expect(decodeRowRef(`abc:1:2:${'1'.repeat(32)}`)?.userId).toBe('1'.repeat(32));
    expect(decodePageRef('abc123:4')).toEqual({ reviewId: 'abc123', page: 4 });
    expect(decodePageRef('abc123:-1')).toBeUndefined();
  });
});

describe('until when a person keeps their access', () => {
  const now = Date.UTC(2026, 2, 1, 9);

  it('reads a duration, or a date meaning the end of that day in UTC', () => {
    expect(parseUntil('30d', now)).toEqual({ ms: 30 * 86_400_000 });
    expect(parseUntil(' 2w ', now)).toEqual({ ms: 14 * 86_400_000 });
    expect(parseUntil('2026-03-02', now)).toEqual({ ms: Date.UTC(2026, 2, 3) - now });
  });

  it('says what is wrong with anything else', () => {
    expect(parseUntil('soon', now)).toEqual({ problem: expect.stringContaining('30d') });
    expect(parseUntil('2026-02-30', now)).toEqual({ problem: '2026-02-30 is not a date on the calendar.' });
    expect(parseUntil('2026-02-28', now)).toEqual({ problem: 'That day has passed: choose a later one.' });
    expect(parseUntil('', now)).toEqual({ problem: expect.any(String) });
  });

  it('answers a time the account no longer allows with its limit and how to try again', () => {
    const long = reviewClickReply({ kind: 'too-long', askedMs: 90 * 86_400_000, maxMs: 30 * 86_400_000 })?.text;
    const short = reviewClickReply({ kind: 'too-short', askedMs: 60_000, minMs: 3_600_000 })?.text;
    expect(long).toBe(
      '90d is longer than the longest access this account allows (30d); nothing changed. Click *Make temporary* again and give 30d or less.',
    );
    expect(short).toBe(
      '1m is shorter than the shortest access this account allows (1h); nothing changed. Click *Make temporary* again and give 1h or more.',
    );
  });
});

describe('/waba review', () => {
  it('takes only an account', () => {
    expect(parseCommand('review')).toEqual({ kind: 'review' });
    expect(parseCommand('REVIEW on Sales')).toEqual({ kind: 'review', account: 'sales' });
    expect(parseCommand('review everyone')).toMatchObject({ kind: 'invalid' });
    expect(parseCommand('review on')).toMatchObject({ kind: 'invalid' });
  });
});
