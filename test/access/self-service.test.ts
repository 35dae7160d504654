import Keyv from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGraph } from '../../sandbox/fake-graph.js';
import type { AccountPolicy } from '../../src/access/accounts.js';
import type { TemporaryGrant } from '../../src/access/grants.js';
import type { Locker, RequestRepository } from '../../src/access/ports.js';
import { approveAsEmergency } from '../../src/access/request.js';
import { AccessService } from '../../src/access/service.js';
import { breakGlassTrail } from '../../src/access/use-cases/break-glass.js';
import { noticeDue } from '../../src/access/use-cases/heads-up.js';
import { GraphClient } from '../../src/graph/client.js';
import type { Task } from '../../src/graph/tasks.js';
import { InProcessLocker } from '../../src/store/locks.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { KeyvRequestRepository } from '../../src/store/requests.js';
import { pendingRequest, storeAs } from '../support/requests.js';
import { ALICE, DAVE, oneAccount, RecordingNotifier, smallGraph, WABA } from '../support/service-fixture.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let graph: FakeGraph;
let client: GraphClient;
let notifier: RecordingNotifier;
let repository: RequestRepository;
let locker: Locker;
let now: Date;
let service: AccessService;

const BREAK_GLASS: AccountPolicy['breakGlass'] = {
  people: ['UONCALL', 'UANN'],
  tasks: ['MESSAGING', 'VIEW_COST'],
  maxMs: HOUR,
};

function build(
  options: { repository?: RequestRepository; locker?: Locker; notifier?: RecordingNotifier; instanceId?: string } = {},
) {
  return new AccessService({
    repository: options.repository ?? repository,
    locker: options.locker ?? locker,
    accounts: oneAccount(client, { breakGlass: BREAK_GLASS }, { rosterCacheMs: 0, now: () => now.getTime() }),
    notifier: options.notifier ?? notifier,
    requestTtlMs: 24 * HOUR,
    remindAfterMs: 4 * HOUR,
    expiryNoticeMs: 15 * MINUTE,
    clock: { now: () => now },
    ...(options.instanceId ? { instanceId: options.instanceId } : {}),
  });
}

beforeEach(async () => {
  graph = smallGraph();
  await graph.start();
  client = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { baseDelayMs: 1, maxDelayMs: 2 } });
  notifier = new RecordingNotifier();
  repository = new KeyvRequestRepository(new Keyv());
  locker = new InProcessLocker();
  now = new Date('2026-03-01T09:00:00Z');
  service = build();
});

afterEach(async () => {
  await client.close();
  await graph.stop();
});

const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
const writes = () => graph.writes().map((call) => `${call.method} ${call.form.tasks ?? call.query.user}`);

/** Asks for and approves a temporary grant by the lead; returns the grant. */
async function grantFor(userId: string, tasks: Task[], durationMs: number, targetSlackId?: string) {
  const submitted = await service.submit({
    kind: 'grant',
    userId,
    tasks,
    duration: durationMs,
    requesterId: 'ULEAD',
    channelId: 'CTEAM',
    ...(targetSlackId ? { targetSlackId } : {}),
  });
  if (submitted.kind !== 'submitted') throw new Error(submitted.kind);
  await service.decide({ requestId: submitted.request.id, actorId: 'UANN', decision: 'approve' });
  const grant = await repository.getGrant(submitted.request.id);
  if (grant?.state !== 'active') throw new Error('not granted');
  return grant;
}

describe("I'm done", () => {
  it('ends the grant the way expiry does, once however many clicks arrive together', async () => {
    const grant = await grantFor(ALICE, ['MESSAGING'], HOUR, 'UALICE');
    const results = await Promise.all(
      ['ULEAD', 'UALICE', 'ULEAD', 'UALICE', 'ULEAD'].map((who) => service.endGrantAsDone(grant.id, who)),
    );
    expect(results.filter((result) => result.kind === 'ended')).toHaveLength(1);
    expect(results.filter((result) => result.kind === 'not-live')).toHaveLength(4);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
    expect(writes()).toEqual(['POST ["MANAGE","MESSAGING"]', 'POST ["MANAGE"]']);
    const ended = await repository.getGrant(grant.id);
    expect(ended).toMatchObject({ state: 'ended', outcome: 'restored', earlyEnd: 'done', finalTasks: ['MANAGE'] });
    expect(notifier.grantChanges.filter((g) => g.state === 'ended')).toHaveLength(1);
    const audit = await service.auditOf(grant.requestId);
    expect(audit.filter((entry) => entry.event === 'grant-ended')).toEqual([
      expect.objectContaining({ detail: 'restored: ended early (done)' }),
    ]);
    // Expiry later finds nothing to end.
    later(HOUR);
    expect(await service.expireGrants()).toBe(0);
    expect(graph.writes()).toHaveLength(2);
  });

  it('removes a user who had no access before, and answers anyone else that it is not theirs', async () => {
    const grant = await grantFor(DAVE, ['MESSAGING'], HOUR, 'UDAVE');
    for (const stranger of ['UANN', 'USTRANGER']) {
      expect(await service.endGrantAsDone(grant.id, stranger)).toMatchObject({ kind: 'not-yours' });
    }
    expect(graph.tasksOf(WABA, DAVE)).toEqual(['MESSAGING']);
    expect(await service.endGrantAsDone(grant.id, 'UDAVE')).toMatchObject({ kind: 'ended' });
    expect(graph.tasksOf(WABA, DAVE)).toBeUndefined();
    expect(graph.writes().at(-1)).toMatchObject({ method: 'DELETE' });
  });

  it('asks approvers instead of overwriting access changed outside the bot', async () => {
    const grant = await grantFor(ALICE, ['MESSAGING'], HOUR);
    graph.assign(WABA, ALICE, ['MANAGE', 'MESSAGING', 'VIEW_COST']);
    expect(await service.endGrantAsDone(grant.id, 'ULEAD')).toMatchObject({ kind: 'conflict' });
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'MESSAGING', 'VIEW_COST']);
    expect(graph.writes()).toHaveLength(1);
  });

  it('lists, for each person, the live grants they asked for or hold', async () => {
    const alice = await grantFor(ALICE, ['MESSAGING'], HOUR, 'UALICE');
    const dave = await grantFor(DAVE, ['VIEW_COST'], 2 * HOUR);
    expect((await service.grantsOf('ULEAD')).map((g) => g.id)).toEqual([alice.id, dave.id]);
    expect((await service.grantsOf('UALICE')).map((g) => g.id)).toEqual([alice.id]);
    expect(await service.grantsOf('UANN')).toEqual([]);
  });
});

describe('the heads-up before a grant ends', () => {
  const grant = (startsAt: string, endsAt: string, noticeSentFor?: string): TemporaryGrant => ({
    id: 'g',
    requestId: 'g',
    wabaId: WABA,
    userId: ALICE,
    tasks: ['MESSAGING'],
    requesterId: 'ULEAD',
    originChannelId: 'CTEAM',
    startsAt,
    endsAt,
    state: 'active',
    conflictMessages: [],
    ...(noticeSentFor ? { noticeSentFor } : {}),
  });

  it('is due inside the window only, once per end, and never for a grant shorter than the window', () => {
    const long = grant('2026-03-01T08:00:00Z', '2026-03-01T10:00:00Z');
    expect(noticeDue(long, new Date('2026-03-01T09:44:59Z'), 15 * MINUTE)).toBe(false);
    expect(noticeDue(long, new Date('2026-03-01T09:45:00Z'), 15 * MINUTE)).toBe(true);
    expect(noticeDue(long, new Date('2026-03-01T10:00:00Z'), 15 * MINUTE)).toBe(false);
    expect(noticeDue({ ...long, noticeSentFor: long.endsAt }, new Date('2026-03-01T09:50:00Z'), 15 * MINUTE)).toBe(
      false,
    );
    // Extended after the heads-up: the new end gets one of its own.
    expect(
      noticeDue({ ...long, noticeSentFor: '2026-03-01T09:30:00Z' }, new Date('2026-03-01T09:50:00Z'), 15 * MINUTE),
    ).toBe(true);
    const short = grant('2026-03-01T09:50:00Z', '2026-03-01T10:00:00Z');
    expect(noticeDue(short, new Date('2026-03-01T09:51:00Z'), 15 * MINUTE)).toBe(false);
  });

  it('tells who asked for the grant and who holds it, once, whichever process sweeps', async () => {
    const live = await grantFor(ALICE, ['MESSAGING'], HOUR, 'UALICE');
    later(44 * MINUTE);
    expect(await service.noticeExpiring()).toBe(0);
    later(MINUTE);
    // A second process on the same store (a restart, or a replica) sweeping at the same time.
    const other = build({ instanceId: 'other' });
    const counts = await Promise.all([
      service.noticeExpiring(),
      other.noticeExpiring(),
      service.noticeExpiring(),
      other.noticeExpiring(),
    ]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(notifier.headsUps).toEqual([
      { grant: expect.objectContaining({ id: live.id }), people: ['ULEAD', 'UALICE'] },
    ]);
    later(MINUTE);
    expect(await build({ instanceId: 'restarted' }).noticeExpiring()).toBe(0);
    expect((await service.auditOf(live.requestId)).filter((e) => e.event === 'expiry-notice-sent')).toHaveLength(1);
  });

  it('comes again before the new end once the grant is extended, through an approval', async () => {
    const live = await grantFor(ALICE, ['MESSAGING'], HOUR);
    later(50 * MINUTE);
    expect(await service.noticeExpiring()).toBe(1);
    // Ask for more time from the heads-up: the requester may ask; another approver decides.
    const asked = await service.submitExtension({ grantId: live.id, durationMs: HOUR, requesterId: 'ULEAD' });
    if (asked.kind !== 'submitted') throw new Error(asked.kind);
    expect(asked.request).toMatchObject({ kind: 'extend', requesterId: 'ULEAD', grantId: live.id });
    expect(await service.decide({ requestId: asked.request.id, actorId: 'ULEAD', decision: 'approve' })).toMatchObject({
      kind: 'forbidden',
      reason: 'own-request',
    });
    await service.decide({ requestId: asked.request.id, actorId: 'UBOB', decision: 'approve' });
    expect((await repository.getGrant(live.id))?.endsAt).toBe('2026-03-01T11:00:00.000Z');
    expect(await service.noticeExpiring()).toBe(0);
    later(HOUR);
    expect(await service.noticeExpiring()).toBe(1);
    expect(notifier.headsUps).toHaveLength(2);
  });

  it('is not sent when switched off', async () => {
    service = new AccessService({
      repository,
      locker,
      accounts: oneAccount(client),
      notifier,
      requestTtlMs: HOUR,
      clock: { now: () => now },
    });
    await grantFor(ALICE, ['MESSAGING'], HOUR);
    later(50 * MINUTE);
    expect(await service.noticeExpiring()).toBe(0);
    expect(notifier.headsUps).toEqual([]);
  });
});

describe('break-glass', () => {
  const emergency = (overrides: Partial<Parameters<AccessService['breakGlass']>[0]> = {}) =>
    service.breakGlass({
      userId: ALICE,
      targetSlackId: 'UBOB',
      tasks: ['MESSAGING'],
      reason: 'outage at night',
      duration: 30 * MINUTE,
      requesterId: 'UONCALL',
      channelId: 'CTEAM',
      ...overrides,
    });

  it('is carried out at once with one read and one write, announced, time-bound, and waits for a review', async () => {
    const result = await emergency();
    if (result.kind !== 'carried-out') throw new Error(result.kind);
    const { request, grant } = result;
    expect(request).toMatchObject({ state: 'succeeded', emergency: {}, decisions: [], requesterId: 'UONCALL' });
    expect(graph.calls.map((call) => `${call.method} ${call.path.split('/').at(-1)}`)).toEqual([
      'GET assigned_whatsapp_business_accounts',
      'POST assigned_users',
    ]);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    expect(grant).toMatchObject({ state: 'active', endsAt: '2026-03-01T09:30:00.000Z' });
    expect(notifier.emergencies).toHaveLength(1);
    expect(request.approvalMessages).toEqual([{ channel: 'CAPPROVALS', ts: 'emergency1.0' }]);
    expect(await repository.awaitingReviewIds()).toEqual([request.id]);
    const events = (await service.auditOf(request.id)).map((entry) => entry.event);
    expect(events).toEqual(['approved', 'announced', 'executing', 'grant-started', 'succeeded']);
    // Nothing is left to resume, and it ends like any temporary grant.
    expect(await service.recover()).toBe(0);
    later(30 * MINUTE);
    expect(await service.expireGrants()).toBe(1);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
  });

  it('resumed after its process stopped before telling anyone, tells the approvers before it goes ahead', async () => {
    const stopped = approveAsEmergency(
      pendingRequest({
        id: 'bg1',
        wabaId: WABA,
        targetUserId: ALICE,
        requesterId: 'UONCALL',
        durationMs: 30 * MINUTE,
        reason: 'outage',
        emergency: {},
      }),
      now,
    );
    await storeAs(repository, stopped);
    await repository.setOpen('bg1', true);
    expect(await service.recover()).toBe(1);
    expect(notifier.emergencies.map((request) => request.id)).toEqual(['bg1']);
    expect(await service.get('bg1')).toMatchObject({
      state: 'succeeded',
      approvalMessages: [{ channel: 'CAPPROVALS', ts: 'emergency1.0' }],
    });
    expect(graph.writes()).toHaveLength(1);
    expect(await service.recover()).toBe(0);
  });

  it('refuses, storing and changing nothing, anyone not listed, other tasks, longer, permanent, or no reason', async () => {
    const refusals = [
      await emergency({ requesterId: 'USTRANGER' }),
      await emergency({ tasks: ['MANAGE'] }),
      await emergency({ duration: 2 * HOUR }),
      await emergency({ duration: 'permanent' }),
      await emergency({ reason: '  ' }),
    ];
    expect(refusals.map((refusal) => refusal.kind)).toEqual([
      'not-break-glass',
      'break-glass-tasks',
      'break-glass-too-long',
      'break-glass-too-long',
      'break-glass-reason',
    ]);
    expect(refusals[0]).toEqual({ kind: 'not-break-glass', account: 'default', people: ['UONCALL', 'UANN'] });
    expect(graph.calls).toEqual([]);
    expect(await repository.openIds()).toEqual([]);
    expect(await repository.awaitingReviewIds()).toEqual([]);
    expect(notifier.emergencies).toEqual([]);
    const trail = await service.auditOf(breakGlassTrail(now));
    expect(trail.map((entry) => [entry.actor, entry.event])).toEqual([
      ['USTRANGER', 'break-glass-refused'],
      ['UONCALL', 'break-glass-refused'],
      ['UONCALL', 'break-glass-refused'],
      ['UONCALL', 'break-glass-refused'],
      ['UONCALL', 'break-glass-refused'],
    ]);
  });

  it('lasts the longest allowed when no length is given', async () => {
    const result = await service.breakGlass({
      userId: ALICE,
      tasks: ['VIEW_COST'],
      reason: 'outage',
      requesterId: 'UONCALL',
      channelId: 'CTEAM',
    });
    expect(result).toMatchObject({ kind: 'carried-out', grant: { endsAt: '2026-03-01T10:00:00.000Z' } });
  });

  it('is refused when no approver but its user and the person it is for could review it', async () => {
    const result = await emergency({ requesterId: 'UANN', targetSlackId: 'UBOB' });
    expect(result).toEqual({ kind: 'no-reviewer', account: 'default' });
    expect(graph.calls).toEqual([]);
  });

  it('is reviewed once, by an approver who neither used it nor holds it; Revoke now ends it as expiry would', async () => {
    const result = await emergency();
    if (result.kind !== 'carried-out') throw new Error(result.kind);
    const id = result.request.id;
    const review = (actorId: string, verdict: 'looks-right' | 'revoked' = 'revoked') =>
      service.reviewBreakGlass({ requestId: id, actorId, verdict });
    expect(await review('UONCALL')).toMatchObject({ kind: 'forbidden', reason: 'own-request' });
    expect(await review('UBOB')).toMatchObject({ kind: 'forbidden', reason: 'beneficiary' });
    expect(await review('USTRANGER')).toMatchObject({ kind: 'forbidden', reason: 'not-approver' });
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'MESSAGING']);

    const [first, second] = await Promise.all([review('UANN'), review('UANN', 'looks-right')]);
    const reviewed = [first, second].filter((outcome) => outcome.kind === 'reviewed');
    expect(reviewed).toHaveLength(1);
    expect([first, second].map((outcome) => outcome.kind).sort()).toEqual(expect.arrayContaining(['reviewed']));
    const stored = await service.get(id);
    const verdict = stored?.emergency?.review?.verdict;
    expect(stored?.emergency?.review).toMatchObject({ by: 'UANN' });
    expect(graph.tasksOf(WABA, ALICE)).toEqual(verdict === 'revoked' ? ['MANAGE'] : ['MANAGE', 'MESSAGING']);
    expect(await review('UANN', 'looks-right')).toMatchObject({ kind: 'already-reviewed' });
    expect(await repository.awaitingReviewIds()).toEqual([]);
    expect(notifier.reviews).toHaveLength(1);
  });

  it('revoked on review, puts back what the user had before', async () => {
    const result = await emergency();
    if (result.kind !== 'carried-out') throw new Error(result.kind);
    const outcome = await service.reviewBreakGlass({
      requestId: result.request.id,
      actorId: 'UANN',
      verdict: 'revoked',
    });
    expect(outcome).toMatchObject({ kind: 'reviewed', grant: { state: 'ended', earlyEnd: 'review', endedBy: 'UANN' } });
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
    expect((await service.auditOf(result.request.id)).map((entry) => entry.event)).toContain('break-glass-reviewed');
  });

  it('reminds the approvers who may review it, once, after REMIND_AFTER', async () => {
    const result = await emergency();
    if (result.kind !== 'carried-out') throw new Error(result.kind);
    later(4 * HOUR - 1);
    expect(await service.remindReviews()).toBe(0);
    later(1);
    expect(await Promise.all([service.remindReviews(), build({ instanceId: 'b' }).remindReviews()])).toEqual(
      expect.arrayContaining([1, 0]),
    );
    // Bob is the person it is for; the on-call engineer used it and approves nothing.
    expect(notifier.reviewReminders.map((r) => r.approverIds)).toEqual([['UANN']]);
    expect(await service.remindReviews()).toBe(0);
  });
});

describe.skipIf(!process.env.REDIS_URL)('with two replicas on Redis', () => {
  const stores: Store[] = [];

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  it('sends the heads-up once and ends a grant given back once, whichever replica acts', async () => {
    const namespace = `self-service-${Date.now()}`;
    for (let i = 0; i < 2; i++) stores.push(await openStore(process.env.REDIS_URL!, { namespace }));
    const notifiers = [new RecordingNotifier(), new RecordingNotifier()];
    const [a, b] = stores.map((store, i) =>
      build({ repository: store.repository, locker: store.locker, notifier: notifiers[i]!, instanceId: `r${i}` }),
    );
    repository = stores[0]!.repository;
    service = a!;
    const live = await grantFor(ALICE, ['MESSAGING'], HOUR, 'UALICE');
    later(50 * MINUTE);
    const sent = await Promise.all([a!, b!, a!, b!].map((replica) => replica.noticeExpiring()));
    expect(sent.reduce((x, y) => x + y, 0)).toBe(1);
    expect(notifiers.flatMap((n) => n.headsUps)).toHaveLength(1);

    const ended = await Promise.all(
      [a!, b!, a!, b!].map((replica, i) => replica.endGrantAsDone(live.id, i % 2 === 0 ? 'ULEAD' : 'UALICE')),
    );
    expect(ended.filter((result) => result.kind === 'ended')).toHaveLength(1);
    expect(writes()).toEqual(['POST ["MANAGE","MESSAGING"]', 'POST ["MANAGE"]']);
  });
});
