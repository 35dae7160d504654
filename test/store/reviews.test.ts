import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TransitionConflictError } from '../../src/access/ports.js';
import { type Review, type ReviewAuditEntry, reviewPages } from '../../src/access/review.js';
import { openStore } from '../../src/store/open-store.js';
import { storeUrls } from '../support/store-urls.js';

const dir = mkdtempSync(join(tmpdir(), 'waba-reviews-'));
const namespace = `test-${Math.random().toString(36).slice(2, 10)}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const urls = storeUrls(dir);

const at = '2026-03-01T09:00:00.000Z';

function header(id: string): Review {
  return {
    id,
    wabaId: '1000000000001',
    accountAlias: 'support',
    startedBy: 'UANN',
    startedAt: at,
    readAt: at,
    total: 2,
    pages: 1,
    state: 'open',
    decidedByPage: [0],
    working: [],
    reviewers: [],
    messages: [],
    updatedAt: at,
  };
}

const audit = (reviewId: string, event: ReviewAuditEntry['event'], minute: number): ReviewAuditEntry => ({
  reviewId,
  at: `2026-03-01T09:0${minute}:00.000Z`,
  actor: 'UANN',
  event,
});

describe.each(urls)('reviews in the %s store', (_name, url) => {
  it('writes each record from the version read, with its audit entry or not at all', async () => {
    const store = await openStore(url(), { namespace });
    const id = `v${Math.random().toString(36).slice(2, 10)}`;
    const [page] = reviewPages(id, [
      { id: '300000000000001', name: 'Alice', tasks: ['MANAGE'] },
      { id: '300000000000002', name: 'Bob', tasks: [] },
    ]);
    const stored = await store.reviews.savePage(page!);
    const saved = await store.reviews.save(header(id), audit(id, 'review-started', 0));
    expect(saved.version).toBe(1);
    expect(await store.reviews.get(id)).toEqual(saved);
    expect(await store.reviews.page(id, 0)).toEqual(stored);
    expect(await store.reviews.page(id, 1)).toBeUndefined();

    // Two writers read version 1 of the page; the second one's decision is refused, with its audit entry.
    const decided = {
      ...stored,
      rows: stored.rows.map((row) => ({ ...row, decision: { kind: 'keep' as const, by: 'UANN', at } })),
    };
    await store.reviews.savePage(decided, audit(id, 'row-decided', 1));
    await expect(store.reviews.savePage(decided, audit(id, 'row-decided', 2))).rejects.toBeInstanceOf(
      TransitionConflictError,
    );
    expect((await store.reviews.auditOf(id)).map((entry) => entry.event)).toEqual(['review-started', 'row-decided']);
    expect((await store.reviews.page(id, 0))?.version).toBe(2);

    // The WABA's open review: one writer at a time too.
    const empty = await store.reviews.wabaReviews('1000000000001');
    const opened = await store.reviews.saveWabaReviews('1000000000001', { ...empty, openReviewId: id });
    await expect(
      store.reviews.saveWabaReviews('1000000000001', { ...empty, openReviewId: 'other' }),
    ).rejects.toBeInstanceOf(TransitionConflictError);
    expect((await store.reviews.wabaReviews('1000000000001')).openReviewId).toBe(opened.openReviewId);

    await store.reviews.setOpen(id, true);
    expect(await store.reviews.openIds()).toContain(id);
    await store.reviews.setOpen(id, false);
    expect(await store.reviews.openIds()).not.toContain(id);
    await store.close();
  });

  it('creates a large review’s pages in a few writes, each at version 1, ready for conditional decisions', async () => {
    const store = await openStore(url(), { namespace });
    const id = `v${Math.random().toString(36).slice(2, 10)}`;
    const users = Array.from({ length: 6_001 }, (_, i) => ({
      id: String(100_000_000_000_001 + i),
      name: `U${i}`,
      tasks: [],
    }));
    const pages = reviewPages(id, users);
    expect(pages).toHaveLength(601);
    await store.reviews.createPages(pages);
    for (const number of [0, 249, 250, 600]) {
      const page = await store.reviews.page(id, number);
      expect(page).toEqual({ ...pages[number], version: 1 });
    }
    expect((await store.reviews.page(id, 600))?.rows).toHaveLength(1);
    const last = (await store.reviews.page(id, 600))!;
    await store.reviews.savePage(last);
    await expect(store.reviews.savePage(last)).rejects.toBeInstanceOf(TransitionConflictError);
    await store.close();
  });

  it('keeps reviews apart from requests that share an id', async () => {
    const store = await openStore(url(), { namespace });
    const id = `v${Math.random().toString(36).slice(2, 10)}`;
    await store.reviews.save(header(id));
    expect(await store.repository.get(id)).toBeUndefined();
    expect(await store.repository.auditOf(id)).toEqual([]);
    await store.close();
  });
});
