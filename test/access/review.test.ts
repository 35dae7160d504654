import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGraph, graphError } from '../../sandbox/fake-graph.js';
import type { Accounts } from '../../src/access/accounts.js';
import type { Identities } from '../../src/access/ports.js';
import { approve, startExecution } from '../../src/access/request.js';
import type { Review, ReviewNotifier, ReviewPage, ReviewSummary, ReviewView, RowRef } from '../../src/access/review.js';
import type { DecideRowResult } from '../../src/access/review-service.js';
import { AccessService } from '../../src/access/service.js';
import { GraphClient } from '../../src/graph/client.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { pendingRequest, storeAs } from '../support/requests.js';
import { ALICE, DAVE, oneAccount, RecordingNotifier, smallGraph, WABA } from '../support/service-fixture.js';

/** On the WABA with MESSAGING. */
const ERIN = '300000000000005';

/** Records what reviews show; messages are numbered like Slack's. */
class RecordingReviewNotifier implements ReviewNotifier {
  posted: Review[] = [];
  shown: Array<{ review: Review; pages: number[] }> = [];
  reminders: Array<{ review: Review; approverIds: string[] }> = [];
  summaries: Array<{ review: Review; summary: ReviewSummary }> = [];
  failPost = false;

  async post(review: Review, _first: ReviewPage) {
    if (this.failPost) throw new Error('not_in_channel');
    this.posted.push(review);
    return [{ channel: 'CAPPROVALS', ts: `${this.posted.length}.0` }];
  }

  async show(review: Review, views: readonly ReviewView[]) {
    this.shown.push({ review, pages: views.map((view) => view.page.page) });
  }

  async remind(review: Review, approverIds: string[]) {
    this.reminders.push({ review, approverIds });
  }

  async closed(review: Review, summary: ReviewSummary) {
    this.summaries.push({ review, summary });
  }
}

let graph: FakeGraph;
let client: GraphClient;
let now: Date;
let stores: Store[];
let reviewNotifier: RecordingReviewNotifier;
let links: Map<string, string>;

function serviceOn(
  store: Store,
  options: { everyMs?: number; remindAfterMs?: number; accounts?: Accounts; instanceId?: string } = {},
) {
  const identities: Identities = { metaIdOf: async (slackId) => links.get(slackId) };
  return new AccessService({
    repository: store.repository,
    locker: store.locker,
    accounts: options.accounts ?? oneAccount(client, {}, { now: () => now.getTime() }),
    notifier: new RecordingNotifier(),
    identities,
    requestTtlMs: 60 * 60_000,
    clock: { now: () => now },
    executionLeaseMs: 60_000,
    sharedStore: store.kind === 'redis',
    ...(options.instanceId ? { instanceId: options.instanceId } : {}),
    ...(options.remindAfterMs === undefined ? {} : { remindAfterMs: options.remindAfterMs }),
    reviews: {
      repository: store.reviews,
      notifier: reviewNotifier,
      ...(options.everyMs === undefined ? {} : { everyMs: options.everyMs }),
    },
  });
}

async function memoryService(options: Parameters<typeof serviceOn>[1] = {}) {
  const store = await openStore('memory://');
  stores.push(store);
  return { store, service: serviceOn(store, options) };
}

beforeEach(async () => {
  graph = smallGraph()
    .assign(WABA, DAVE, ['MESSAGING', 'VIEW_TEMPLATES'])
    .addUser({ id: ERIN, name: 'Erin', user_type: 'BUSINESS_USER' })
    .assign(WABA, ERIN, ['MESSAGING']);
  await graph.start();
  client = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { baseDelayMs: 1, maxDelayMs: 2 } });
  now = new Date('2026-03-01T09:00:00Z');
  stores = [];
  reviewNotifier = new RecordingReviewNotifier();
  links = new Map();
});

afterEach(async () => {
  for (const store of stores) await store.close();
  await client.close();
  await graph.stop();
});

const rosterReads = () => graph.calls.filter((call) => call.method === 'GET' && call.path.endsWith('/assigned_users'));
const personReads = () => graph.calls.filter((call) => call.path.endsWith('/assigned_whatsapp_business_accounts'));
const deletes = () => graph.calls.filter((call) => call.method === 'DELETE' && call.status === 200);

async function started(service: AccessService, actorId = 'UANN'): Promise<Review> {
  const result = await service.reviews.start({ actorId });
  if (result.kind !== 'started') throw new Error(result.kind);
  return result.review;
}

/** The row of a Meta user in a review, as its buttons name it. Rows are in name order: Alice, Dave, Erin. */
function ref(review: Review, userId: string): RowRef {
  const index = [ALICE, DAVE, ERIN].indexOf(userId);
  return { reviewId: review.id, page: 0, index, userId };
}

function expectDecided(result: DecideRowResult) {
  expect(result.kind).toBe('decided');
  return result as Extract<DecideRowResult, { kind: 'decided' }>;
}

describe('access reviews', () => {
  it('starts from one roster read, decides each row once, and closes with a summary', async () => {
    const { service, store } = await memoryService();
    const review = await started(service);
    expect(review).toMatchObject({ total: 3, pages: 1, state: 'open', messages: [{ channel: 'CAPPROVALS' }] });
    expect(rosterReads()).toHaveLength(1);

    expectDecided(await service.reviews.decide({ ref: ref(review, ALICE), actorId: 'UANN', choice: 'keep' }));
    const again = await service.reviews.decide({ ref: ref(review, ALICE), actorId: 'UBOB', choice: 'remove' });
    expect(again).toMatchObject({ kind: 'already', row: { decision: { kind: 'keep', by: 'UANN' } } });

    const removed = expectDecided(
      await service.reviews.decide({ ref: ref(review, ERIN), actorId: 'UBOB', choice: 'remove' }),
    );
    expect(removed.row.decision).toMatchObject({ kind: 'remove', status: 'removed' });
    expect(graph.tasksOf(WABA, ERIN)).toBeUndefined();

    const kept = expectDecided(
      await service.reviews.decide({
        ref: ref(review, DAVE),
        actorId: 'UANN',
        choice: 'temporary',
        durationMs: 7 * 86_400_000,
      }),
    );
    expect(kept.row.decision).toMatchObject({
      kind: 'temporary',
      status: 'applied',
      endsAt: '2026-03-08T09:00:00.000Z',
    });
    const [grant] = await service.activeGrants();
    expect(grant).toMatchObject({
      userId: DAVE,
      tasks: ['VIEW_TEMPLATES', 'MESSAGING'],
      endsAt: '2026-03-08T09:00:00.000Z',
    });

    // One roster read, one person read per Remove and Make temporary, one DELETE.
    expect(rosterReads()).toHaveLength(1);
    expect(personReads()).toHaveLength(2);
    expect(deletes()).toHaveLength(1);

    const [closing] = reviewNotifier.summaries;
    expect(closing?.review).toMatchObject({ state: 'closed', reviewers: ['UANN', 'UBOB'] });
    expect(closing?.summary.kept).toBe(1);
    expect(closing?.summary.removed.map((row) => row.userId)).toEqual([ERIN]);
    expect(closing?.summary.temporary.map((row) => row.userId)).toEqual([DAVE]);
    expect(reviewNotifier.summaries).toHaveLength(1);
    expect(await store.reviews.openIds()).toEqual([]);
    expect((await store.reviews.wabaReviews(WABA)).openReviewId).toBeUndefined();

    // The removal went through the requests' path: an approved revoke with its whole audit trail.
    const requestId = removed.row.decision?.kind === 'remove' ? removed.row.decision.requestId : '';
    const request = await service.get(requestId);
    expect(request).toMatchObject({
      kind: 'revoke',
      state: 'succeeded',
      requesterId: 'UBOB',
      review: { choice: 'remove' },
    });
    expect((await service.auditOf(requestId)).map((entry) => entry.event)).toEqual([
      'approved',
      'executing',
      'succeeded',
    ]);

    // When the time comes, the temporary access ends like any grant: Dave is removed.
    now = new Date('2026-03-08T09:00:01Z');
    expect(await service.expireGrants()).toBe(1);
    expect(graph.tasksOf(WABA, DAVE)).toBeUndefined();
  });

  it('refuses strangers, the person on the row, and times outside the account’s limits, changing nothing', async () => {
    const { service } = await memoryService();
    expect(await service.reviews.start({ actorId: 'USTRANGER' })).toMatchObject({
      kind: 'forbidden',
      who: ['UANN', 'UBOB'],
    });
    expect(rosterReads()).toHaveLength(0);
    const review = await started(service);
    links.set('UBOB', ERIN);

    expect(
      await service.reviews.decide({ ref: ref(review, ALICE), actorId: 'USTRANGER', choice: 'keep' }),
    ).toMatchObject({
      kind: 'forbidden',
      reason: 'not-approver',
    });
    expect(await service.reviews.decide({ ref: ref(review, ERIN), actorId: 'UBOB', choice: 'remove' })).toMatchObject({
      kind: 'forbidden',
      reason: 'own-row',
    });
    const long = { ref: ref(review, DAVE), actorId: 'UANN', choice: 'temporary' as const, durationMs: 31 * 86_400_000 };
    expect(await service.reviews.decide(long)).toMatchObject({ kind: 'too-long', maxMs: 30 * 86_400_000 });
    // A button drawn for another row, or a page that does not exist.
    expect(
      await service.reviews.decide({ ref: { ...ref(review, DAVE), userId: ALICE }, actorId: 'UANN', choice: 'keep' }),
    ).toMatchObject({ kind: 'stale' });
    expect(
      await service.reviews.decide({ ref: { ...ref(review, DAVE), page: 7 }, actorId: 'UANN', choice: 'keep' }),
    ).toMatchObject({ kind: 'stale' });
    expect(
      await service.reviews.decide({
        ref: { ...ref(review, DAVE), reviewId: 'nope' },
        actorId: 'UANN',
        choice: 'keep',
      }),
    ).toEqual({
      kind: 'not-found',
    });
    expect(deletes()).toHaveLength(0);
    expect((await service.reviews.start({ actorId: 'UBOB' })).kind).toBe('already-open');
    expect(rosterReads()).toHaveLength(1);
  });

  it('opens a row again when Meta refuses the removal, with Meta’s words; the next Remove goes through', async () => {
    const { service } = await memoryService();
    const review = await started(service);
    graph.queueFault({
      status: 400,
      body: graphError(200, 'Permissions error', 'OAuthException'),
      match: ({ method }) => method === 'DELETE',
    });
    const failed = expectDecided(
      await service.reviews.decide({ ref: ref(review, ALICE), actorId: 'UANN', choice: 'remove' }),
    );
    expect(failed.row.decision).toBeUndefined();
    expect(failed.row.failure).toMatchObject({ choice: 'remove', by: 'UANN', error: { message: 'Permissions error' } });
    expect(failed.review.decidedByPage).toEqual([0]);
    expect(failed.review.working).toEqual([]);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);

    const removed = expectDecided(
      await service.reviews.decide({ ref: ref(review, ALICE), actorId: 'UBOB', choice: 'remove' }),
    );
    expect(removed.row).toMatchObject({ decision: { status: 'removed', by: 'UBOB' } });
    expect(removed.row.failure).toBeUndefined();
    expect(graph.tasksOf(WABA, ALICE)).toBeUndefined();
  });

  it('corrects a quiet review whose header missed a page write, and closes it when that was the last row', async () => {
    const { service, store } = await memoryService();
    const review = await started(service);
    await service.reviews.decide({ ref: ref(review, ALICE), actorId: 'UANN', choice: 'keep' });
    await service.reviews.decide({ ref: ref(review, DAVE), actorId: 'UANN', choice: 'keep' });
    // A process stopped after writing the last decision's page, before its header.
    const page = (await store.reviews.page(review.id, 0))!;
    const rows = page.rows.map((row, i) =>
      i === 2 ? { ...row, decision: { kind: 'keep' as const, by: 'UBOB', at: now.toISOString() } } : row,
    );
    await store.reviews.savePage({ ...page, rows });
    await service.reviews.sweep();
    expect(reviewNotifier.summaries).toHaveLength(0);

    now = new Date(now.getTime() + 31_000);
    await service.reviews.sweep();
    expect(await store.reviews.get(review.id)).toMatchObject({ state: 'closed', decidedByPage: [3] });
    expect(reviewNotifier.summaries).toHaveLength(1);
    expect((await store.reviews.auditOf(review.id)).map((entry) => entry.event)).toContain('recounted');
  });

  it('opens again a row whose removal never reached the store, once the lease has passed', async () => {
    const { service, store } = await memoryService();
    const review = await started(service);
    // A process claimed the row for a removal and stopped before storing its request.
    const page = (await store.reviews.page(review.id, 0))!;
    const at = now.toISOString();
    const decision = { kind: 'remove' as const, by: 'UANN', at, requestId: 'lost1', status: 'removing' as const };
    await store.reviews.savePage({ ...page, rows: page.rows.map((row, i) => (i === 0 ? { ...row, decision } : row)) });
    const header = (await store.reviews.get(review.id))!;
    await store.reviews.save({
      ...header,
      decidedByPage: [1],
      working: [{ page: 0, index: 0, requestId: 'lost1', since: at }],
    });

    await service.reviews.sweep();
    expect((await store.reviews.page(review.id, 0))?.rows[0]?.decision).toMatchObject({ status: 'removing' });
    now = new Date(now.getTime() + 61_000);
    await service.reviews.sweep();
    const row = (await store.reviews.page(review.id, 0))?.rows[0];
    expect(row?.decision).toBeUndefined();
    expect(row?.failure?.error.message).toBe('the bot stopped before carrying it out');
    expect(await store.reviews.get(review.id)).toMatchObject({ decidedByPage: [0], working: [] });
    expect(deletes()).toHaveLength(0);
  });

  it('brings a row up to date once recovery finishes a removal its process left half-done', async () => {
    const { service, store } = await memoryService();
    const review = await started(service);
    // A process claimed Alice's row, stored the removal as executing, and stopped before calling Meta.
    const at = now.toISOString();
    const page = (await store.reviews.page(review.id, 0))!;
    const decision = { kind: 'remove' as const, by: 'UANN', at, requestId: 'cut1', status: 'removing' as const };
    await store.reviews.savePage({ ...page, rows: page.rows.map((row, i) => (i === 0 ? { ...row, decision } : row)) });
    const header = (await store.reviews.get(review.id))!;
    await store.reviews.save({
      ...header,
      decidedByPage: [1],
      working: [{ page: 0, index: 0, requestId: 'cut1', since: at }],
    });
    const pending = pendingRequest({
      id: 'cut1',
      kind: 'revoke',
      wabaId: WABA,
      targetUserId: ALICE,
      tasks: [],
      currentTasks: ['MANAGE'],
      afterTasks: [],
      requesterId: 'UANN',
      review: { reviewId: review.id, choice: 'remove' },
    });
    const approved = await storeAs(store.repository, approve(pending, 'UANN', now));
    await storeAs(store.repository, startExecution(approved, now, 60_000, 'gone-process'));
    await store.repository.setOpen('cut1', true);

    await service.reviews.sweep();
    expect((await store.reviews.page(review.id, 0))?.rows[0]?.decision).toMatchObject({ status: 'removing' });
    expect(await service.recover()).toBe(1);
    expect(deletes()).toHaveLength(1);
    await service.reviews.sweep();
    expect((await store.reviews.page(review.id, 0))?.rows[0]?.decision).toMatchObject({ status: 'removed' });
    expect(await store.reviews.get(review.id)).toMatchObject({ decidedByPage: [1], working: [] });
  });

  it('reminds the account’s approvers once when a review has been open for REMIND_AFTER', async () => {
    const { service } = await memoryService({ remindAfterMs: 3_600_000 });
    const review = await started(service);
    await service.reviews.sweep();
    expect(reviewNotifier.reminders).toEqual([]);
    now = new Date(now.getTime() + 3_600_000);
    await service.reviews.sweep();
    await service.reviews.sweep();
    expect(reviewNotifier.reminders).toHaveLength(1);
    expect(reviewNotifier.reminders[0]).toMatchObject({ review: { id: review.id }, approverIds: ['UANN', 'UBOB'] });
  });

  it('starts scheduled reviews when due, never two at once, counting from the last start', async () => {
    const { service, store } = await memoryService({ everyMs: 90 * 86_400_000 });
    await service.reviews.sweep();
    expect(reviewNotifier.posted).toHaveLength(1);
    const first = reviewNotifier.posted[0]!;
    expect(first.startedBy).toBe('system');
    await service.reviews.sweep();
    expect(reviewNotifier.posted).toHaveLength(1);
    for (const user of [ALICE, DAVE, ERIN])
      await service.reviews.decide({ ref: ref(first, user), actorId: 'UANN', choice: 'keep' });
    expect((await store.reviews.get(first.id))?.state).toBe('closed');

    now = new Date(now.getTime() + 89 * 86_400_000);
    await service.reviews.sweep();
    expect(reviewNotifier.posted).toHaveLength(1);
    now = new Date(now.getTime() + 86_400_000);
    await service.reviews.sweep();
    expect(reviewNotifier.posted).toHaveLength(2);
    expect(rosterReads()).toHaveLength(2);
  });

  it('tries a scheduled review Slack could not take again later, backing off, without putting the schedule off', async () => {
    const { service, store } = await memoryService({ everyMs: 90 * 86_400_000 });
    reviewNotifier.failPost = true;
    await service.reviews.sweep();
    expect(rosterReads()).toHaveLength(1);
    expect(await store.reviews.wabaReviews(WABA)).toEqual({ version: 2 });
    await service.reviews.sweep();
    expect(rosterReads()).toHaveLength(1);
    now = new Date(now.getTime() + 5 * 60_000);
    await service.reviews.sweep();
    expect(rosterReads()).toHaveLength(2);
    // Twice in a row now: ten minutes.
    now = new Date(now.getTime() + 5 * 60_000);
    await service.reviews.sweep();
    expect(rosterReads()).toHaveLength(2);
    reviewNotifier.failPost = false;
    now = new Date(now.getTime() + 5 * 60_000);
    await service.reviews.sweep();
    expect(reviewNotifier.posted).toHaveLength(1);
    expect(rosterReads()).toHaveLength(3);
  });

  it('closes a review nobody can be shown, so the next start is not blocked by it', async () => {
    const { service, store } = await memoryService();
    reviewNotifier.failPost = true;
    expect(await service.reviews.start({ actorId: 'UANN' })).toEqual({ kind: 'not-posted' });
    expect(await store.reviews.openIds()).toEqual([]);
    reviewNotifier.failPost = false;
    expect((await service.reviews.start({ actorId: 'UANN' })).kind).toBe('started');
  });
});

describe.skipIf(!process.env.REDIS_URL)('access reviews on replicas sharing Redis', () => {
  async function replicas() {
    const namespace = `reviews-${Math.random().toString(36).slice(2, 10)}`;
    const a = await openStore(process.env.REDIS_URL!, { namespace });
    const b = await openStore(process.env.REDIS_URL!, { namespace });
    stores.push(a, b);
    return [
      serviceOn(a, { everyMs: 3_600_000, instanceId: 'a' }),
      serviceOn(b, { everyMs: 3_600_000, instanceId: 'b' }),
    ] as const;
  }

  it('starts a scheduled review once however many replicas sweep at the same moment', async () => {
    const [a, b] = await replicas();
    await Promise.all([a.reviews.sweep(), b.reviews.sweep(), a.reviews.sweep(), b.reviews.sweep()]);
    expect(reviewNotifier.posted).toHaveLength(1);
    expect(rosterReads()).toHaveLength(1);
  });

  it('removes once when clicks on the same row race across replicas', async () => {
    const [a, b] = await replicas();
    const review = await started(a);
    const clicks = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).reviews.decide({ ref: ref(review, ALICE), actorId: i % 3 ? 'UANN' : 'UBOB', choice: 'remove' }),
      ),
    );
    expect(clicks.filter((click) => click.kind === 'decided')).toHaveLength(1);
    expect(clicks.filter((click) => click.kind !== 'decided').every((click) => click.kind === 'already')).toBe(true);
    expect(deletes()).toHaveLength(1);
    expect(graph.tasksOf(WABA, ALICE)).toBeUndefined();
  });
});
