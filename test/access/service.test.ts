import Keyv from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGraph, graphError } from '../../sandbox/fake-graph.js';
import { Accounts, accountPolicy, NO_PEOPLE } from '../../src/access/accounts.js';
import type { ApprovalCounts } from '../../src/access/policy.js';
import { approve, fail, type Pending, startExecution } from '../../src/access/request.js';
import { AccessService } from '../../src/access/service.js';
import { GraphClient } from '../../src/graph/client.js';
import { InProcessLocker } from '../../src/store/locks.js';
import { openStore } from '../../src/store/open-store.js';
import { KeyvRequestRepository } from '../../src/store/requests.js';
import { storeAs } from '../support/requests.js';
import { ALICE, BUSINESS, DAVE, oneAccount, RecordingNotifier, smallGraph, WABA } from '../support/service-fixture.js';

let graph: FakeGraph;
let client: GraphClient;
let notifier: RecordingNotifier;
let repository: KeyvRequestRepository;
let now: Date;
let service: AccessService;

function build({
  approvals,
  ...options
}: {
  sharedStore?: boolean;
  approvals?: ApprovalCounts;
  remindAfterMs?: number;
} = {}) {
  const locker = new InProcessLocker();
  repository ??= new KeyvRequestRepository(new Keyv());
  return new AccessService({
    repository,
    locker,
    accounts: oneAccount(client, approvals ? { approvals } : {}, { rosterCacheMs: 30_000, now: () => now.getTime() }),
    notifier,
    requestTtlMs: 60 * 60_000,
    clock: { now: () => now },
    executionLeaseMs: 60_000,
    ...options,
  });
}

beforeEach(async () => {
  graph = smallGraph();
  await graph.start();
  client = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { baseDelayMs: 1, maxDelayMs: 2 } });
  notifier = new RecordingNotifier();
  repository = undefined as unknown as KeyvRequestRepository;
  now = new Date('2026-03-01T09:00:00Z');
  service = build();
});

afterEach(async () => {
  await client.close();
  await graph.stop();
});

async function submitGrant(userId = ALICE, tasks: Pending['tasks'] = ['MESSAGING']) {
  const result = await service.submit({ kind: 'grant', userId, tasks, requesterId: 'ULEAD', channelId: 'CTEAM' });
  if (result.kind !== 'submitted') throw new Error(result.kind);
  return result.request;
}

describe('AccessService', () => {
  it('records a pending request with current → after, and where its approval message is', async () => {
    const request = await submitGrant();
    expect(request).toMatchObject({
      state: 'pending',
      currentTasks: ['MANAGE'],
      afterTasks: ['MANAGE', 'MESSAGING'],
      expiresAt: '2026-03-01T10:00:00.000Z',
      approvalMessages: [{ channel: 'CAPPROVALS', ts: '1.0' }],
    });
    // Filed, then where its message is: two transitions.
    expect(await repository.get(request.id)).toEqual({ ...request, version: 2 });
    expect(await repository.openIds()).toEqual([request.id]);
    expect(graph.writes()).toEqual([]);
  });

  it('carries out an approval and keeps an audit trail of every step', async () => {
    const request = await submitGrant();
    const result = await service.decide({ requestId: request.id, actorId: 'UANN', decision: 'approve' });
    expect(result).toMatchObject({
      kind: 'done',
      request: { state: 'succeeded', resultTasks: ['MANAGE', 'MESSAGING'] },
    });
    expect((await service.auditOf(request.id)).map((entry) => `${entry.actor}:${entry.event}`)).toEqual([
      'ULEAD:pending',
      'ULEAD:announced',
      'UANN:approved',
      'system:executing',
      'system:succeeded',
    ]);
    expect(await repository.openIds()).toEqual([]);
    expect(notifier.changes.map((change) => change.state)).toEqual(['succeeded']);
  });

  it('adds to what the user holds at execution time, never removing tasks granted meanwhile', async () => {
    const request = await submitGrant();
    graph.assign(WABA, ALICE, ['MANAGE', 'VIEW_COST']);
    now = new Date(now.getTime() + 1_000);
    await service.decide({ requestId: request.id, actorId: 'UANN', decision: 'approve' });
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'VIEW_COST', 'MESSAGING']);
  });

  it('runs one Graph write for 25 concurrent approvals', async () => {
    const request = await submitGrant();
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        service.decide({ requestId: request.id, actorId: i % 2 ? 'UANN' : 'UBOB', decision: 'approve' }),
      ),
    );
    expect(results.filter((result) => result.kind === 'done')).toHaveLength(1);
    expect(results.filter((result) => result.kind === 'already')).toHaveLength(24);
    expect(graph.writes()).toHaveLength(1);
  });

  it('refuses the requester and strangers without changing anything', async () => {
    const request = await submitGrant();
    expect(await service.decide({ requestId: request.id, actorId: 'ULEAD', decision: 'approve' })).toMatchObject({
      kind: 'forbidden',
      reason: 'own-request',
    });
    expect(await service.decide({ requestId: request.id, actorId: 'UEVE', decision: 'deny' })).toMatchObject({
      kind: 'forbidden',
      reason: 'not-approver',
    });
    expect((await repository.get(request.id))?.state).toBe('pending');
  });

  it('rejects, storing nothing, a grant of tasks already held and a revoke of someone without access', async () => {
    expect(
      await service.submit({ kind: 'grant', userId: ALICE, tasks: ['MANAGE'], requesterId: 'ULEAD', channelId: 'C' }),
    ).toEqual({ kind: 'already-has', userId: ALICE, tasks: ['MANAGE'] });
    expect(await service.submit({ kind: 'revoke', userId: DAVE, requesterId: 'ULEAD', channelId: 'C' })).toEqual({
      kind: 'no-access',
      userId: DAVE,
    });
    expect(await repository.openIds()).toEqual([]);
  });

  it('cancels a request whose approval message could not be posted', async () => {
    notifier.failAnnounce = true;
    const result = await service.submit({
      kind: 'grant',
      userId: DAVE,
      tasks: ['MESSAGING'],
      requesterId: 'ULEAD',
      channelId: 'C',
    });
    expect(result).toEqual({ kind: 'not-announced' });
    expect(await repository.openIds()).toEqual([]);
  });

  it('expires requests past their time, and an approval arriving after expiry finds it expired', async () => {
    const first = await submitGrant();
    const second = await submitGrant(DAVE);
    now = new Date(now.getTime() + 60 * 60_000);
    expect(await service.decide({ requestId: first.id, actorId: 'UANN', decision: 'approve' })).toMatchObject({
      kind: 'already',
      request: { state: 'expired' },
    });
    expect(await service.expireDue()).toBe(1);
    expect((await repository.get(second.id))?.state).toBe('expired');
    expect(graph.writes()).toEqual([]);
  });

  it('records Meta’s error on failure, and a retry by an approver succeeds', async () => {
    const request = await submitGrant();
    graph.queueFault({
      status: 403,
      body: graphError(200, 'Permissions error', 'OAuthException', undefined),
      match: (c) => c.method === 'POST',
    });
    const failed = await service.decide({ requestId: request.id, actorId: 'UANN', decision: 'approve' });
    expect(failed).toMatchObject({
      kind: 'done',
      request: { state: 'failed', error: { category: 'permission', code: 200, fbtraceId: 'Fake200Trace' } },
    });
    expect(await service.retry({ requestId: request.id, actorId: 'ULEAD' })).toMatchObject({ kind: 'forbidden' });
    expect(await service.retry({ requestId: request.id, actorId: 'UBOB' })).toMatchObject({
      kind: 'done',
      request: { state: 'succeeded' },
    });
  });

  it('refuses a retry once the request failed longer ago than requests wait, or when the policy changed', async () => {
    const failOnce = () =>
      graph.queueFault({ status: 403, body: graphError(200, 'Permissions error'), match: (c) => c.method === 'POST' });
    failOnce();
    const late = await submitGrant();
    await service.decide({ requestId: late.id, actorId: 'UANN', decision: 'approve' });
    const deadline = new Date(now.getTime() + 60 * 60_000);
    now = deadline;
    // No sweep has run: the click itself expires the request, so its message loses Retry.
    const changes = notifier.changes.length;
    expect(await service.retry({ requestId: late.id, actorId: 'UBOB' })).toMatchObject({
      kind: 'retry-refused',
      request: { state: 'expired' },
      refusal: { kind: 'retry-window-passed', until: deadline.toISOString() },
    });
    expect(notifier.changes.slice(changes).map((change) => change.state)).toEqual(['expired']);
    expect(await service.retry({ requestId: late.id, actorId: 'UBOB' })).toMatchObject({
      kind: 'retry-refused',
      refusal: { kind: 'retry-window-passed', until: deadline.toISOString() },
    });
    expect(notifier.changes.slice(changes)).toHaveLength(1);

    failOnce();
    const barred = await submitGrant(DAVE, ['VIEW_COST']);
    await service.decide({ requestId: barred.id, actorId: 'UANN', decision: 'approve' });
    service = new AccessService({
      repository,
      locker: new InProcessLocker(),
      accounts: oneAccount(client, { tasks: ['MESSAGING'] }),
      notifier,
      requestTtlMs: 60 * 60_000,
      clock: { now: () => now },
    });
    expect(await service.retry({ requestId: barred.id, actorId: 'UBOB' })).toMatchObject({
      kind: 'retry-refused',
      refusal: { kind: 'tasks-withdrawn', tasks: ['VIEW_COST'] },
    });

    service = new AccessService({
      repository,
      locker: new InProcessLocker(),
      accounts: oneAccount(client, { approvals: { default: 2, byTask: {} } }),
      notifier,
      requestTtlMs: 60 * 60_000,
      clock: { now: () => now },
    });
    expect(await service.retry({ requestId: barred.id, actorId: 'UBOB' })).toMatchObject({
      kind: 'retry-refused',
      refusal: { kind: 'more-approvals-needed', needed: 2, had: 1 },
    });
    expect(graph.writes()).toEqual([]);
  });

  it('succeeds without a DELETE when the user lost access before the revoke ran', async () => {
    const result = await service.submit({ kind: 'revoke', userId: ALICE, requesterId: 'ULEAD', channelId: 'C' });
    if (result.kind !== 'submitted') throw new Error('not submitted');
    graph.wabas.get(WABA)!.assignments.delete(ALICE);
    const done = await service.decide({ requestId: result.request.id, actorId: 'UANN', decision: 'approve' });
    expect(done).toMatchObject({ request: { state: 'succeeded', hadNoAccess: true } });
    expect(graph.calls.filter((call) => call.method === 'DELETE')).toEqual([]);
  });

  it('resumes orphaned work at start; with a shared store it leaves work whose lease is still held', async () => {
    const request = await submitGrant();
    const executing = startExecution(approve((await repository.get(request.id))!, 'UANN', now), now, 60_000);
    await storeAs(repository, executing);

    expect(await build({ sharedStore: true }).recover()).toBe(0);
    expect(graph.writes()).toEqual([]);

    expect(await build({ sharedStore: false }).recover()).toBe(1);
    expect((await repository.get(request.id))?.state).toBe('succeeded');
    expect(graph.writes()).toHaveLength(1);
  });

  it('takes over at once, with a shared store, work whose process stopped heartbeating', async () => {
    const orphan = await submitGrant();
    const busy = await submitGrant(DAVE);
    await storeAs(
      repository,
      startExecution(approve((await repository.get(orphan.id))!, 'UANN', now), now, 60_000, 'gone'),
    );
    await storeAs(
      repository,
      startExecution(approve((await repository.get(busy.id))!, 'UANN', now), now, 60_000, 'alive'),
    );
    await repository.heartbeat('alive', 60_000);

    expect(await build({ sharedStore: true }).recover()).toBe(1);
    expect((await repository.get(orphan.id))?.state).toBe('succeeded');
    // Work of a live process is left alone.
    expect((await repository.get(busy.id))?.state).toBe('executing');
  });

  it('lets shared-store recovery take over once the lease has run out', async () => {
    const request = await submitGrant();
    await storeAs(repository, startExecution(approve((await repository.get(request.id))!, 'UANN', now), now, 60_000));
    now = new Date(now.getTime() + 61_000);
    expect(await build({ sharedStore: true }).recover()).toBe(1);
    expect(await repository.get(request.id)).toMatchObject({ state: 'succeeded' });
  });
});

describe('AccessService failures not retried in time', () => {
  const TTL = 60 * 60_000;

  async function failedGrant(userId = ALICE) {
    graph.queueFault({ status: 403, body: graphError(200, 'Permissions error'), match: (c) => c.method === 'POST' });
    const request = await submitGrant(userId);
    const result = await service.decide({ requestId: request.id, actorId: 'UANN', decision: 'approve' });
    if (result.kind !== 'done' || result.request.state !== 'failed') throw new Error(result.kind);
    return result.request;
  }

  it('expires a failed request once REQUEST_TTL has passed since it failed, once across two sweeping processes', async () => {
    const failed = await failedGrant();
    const deadline = new Date(now.getTime() + TTL);
    expect(failed.retryUntil).toBe(deadline.toISOString());
    expect(await repository.openIds()).toEqual([]);
    expect(await repository.retryableIds()).toEqual([failed.id]);

    now = new Date(deadline.getTime() - 1);
    expect(await service.expireDue()).toBe(0);
    expect(await repository.get(failed.id)).toMatchObject({ state: 'failed' });

    now = deadline;
    const changes = notifier.changes.length;
    // Another process sweeps the same store at the same moment, with locks of its own: the versioned write decides.
    const other = build();
    const swept = await Promise.all([service.expireDue(), other.expireDue()]);
    expect(swept.sort()).toEqual([0, 1]);
    expect(await repository.get(failed.id)).toMatchObject({
      state: 'expired',
      finishedAt: deadline.toISOString(),
      failure: { at: failed.finishedAt, error: { code: 200 }, retryUntil: deadline.toISOString() },
    });
    expect(notifier.changes.slice(changes).map((change) => change.state)).toEqual(['expired']);
    const audit = await service.auditOf(failed.id);
    expect(audit.filter((entry) => entry.event === 'expired')).toMatchObject([
      { actor: 'system', detail: 'not retried in time' },
    ]);
    expect(await repository.retryableIds()).toEqual([]);
    expect(await service.expireDue()).toBe(0);

    expect(await service.retry({ requestId: failed.id, actorId: 'UBOB' })).toMatchObject({
      kind: 'retry-refused',
      refusal: { kind: 'retry-window-passed', until: deadline.toISOString() },
    });
    // Someone who may not retry is told so, not when the window closed.
    expect(await service.retry({ requestId: failed.id, actorId: 'ULEAD' })).toMatchObject({ kind: 'forbidden' });
    expect(graph.writes()).toEqual([]);
  });

  it('leaves alone a failure retried in time, and lets a retried failure that fails again run its new window', async () => {
    const retried = await failedGrant();
    now = new Date(now.getTime() + TTL / 2);
    expect(await service.retry({ requestId: retried.id, actorId: 'UBOB' })).toMatchObject({
      request: { state: 'succeeded' },
    });
    expect(await repository.retryableIds()).toEqual([]);

    const again = await failedGrant(DAVE);
    now = new Date(now.getTime() + TTL / 2);
    graph.queueFault({ status: 403, body: graphError(200, 'Permissions error'), match: (c) => c.method === 'POST' });
    const refailed = await service.retry({ requestId: again.id, actorId: 'UBOB' });
    expect(refailed).toMatchObject({
      request: { state: 'failed', retryUntil: new Date(now.getTime() + TTL).toISOString() },
    });
    // The first window has closed, the second has not.
    now = new Date(new Date(again.retryUntil!).getTime() + 1);
    expect(await service.expireDue()).toBe(0);
    expect(await repository.get(retried.id)).toMatchObject({ state: 'succeeded' });
    now = new Date(now.getTime() + TTL);
    expect(await service.expireDue()).toBe(1);
    expect(await repository.get(again.id)).toMatchObject({ state: 'expired' });
  });
  /** A failure stored as a process leaves it when it stops right after the record's write, before any index write. */
  async function failedWithoutIndexes(options: { retryUntil: boolean }) {
    const request = await submitGrant();
    const stored = (await repository.get(request.id))!;
    const executing = await storeAs(repository, startExecution(approve(stored, 'UANN', now), now, 60_000));
    const failed = fail(executing, now, { message: 'Permissions error', category: 'permission' }, TTL);
    if (!options.retryUntil) delete failed.retryUntil;
    return storeAs(repository, failed);
  }

  it('expires a failure whose process stopped between its write and the index writes', async () => {
    const failed = await failedWithoutIndexes({ retryUntil: true });
    // Recovery finds it final among the open requests and takes it off that index.
    expect(await service.recover()).toBe(0);
    expect(await repository.openIds()).toEqual([]);
    now = new Date(now.getTime() + TTL);
    expect(await service.expireDue()).toBe(1);
    expect(await repository.get(failed.id)).toMatchObject({ state: 'expired' });
  });

  it('expires a failure recorded before failures had a deadline, among the recently finished requests', async () => {
    const failed = await failedWithoutIndexes({ retryUntil: false });
    // As the earlier version left it: off the open index, on the recent one, on no retryable index.
    await repository.setOpen(failed.id, false);
    await repository.noteFinished(failed.id);
    now = new Date(now.getTime() + TTL);
    expect(await build().expireDue()).toBe(1);
    expect(await repository.get(failed.id)).toMatchObject({
      state: 'expired',
      failure: { retryUntil: now.toISOString() },
    });
  });

  it('takes off the retryable index a request that ended otherwise while its index write was lost', async () => {
    const retried = await failedGrant();
    await service.retry({ requestId: retried.id, actorId: 'UBOB' });
    expect(await repository.get(retried.id)).toMatchObject({ state: 'succeeded' });
    // As if the process stopped after the success's write, before taking it off the index.
    await repository.setRetryable(retried.id, true);
    expect(await service.expireDue()).toBe(0);
    expect(await repository.retryableIds()).toEqual([]);
  });
});

describe.skipIf(!process.env.REDIS_URL)('AccessService failures not retried in time, on replicas sharing Redis', () => {
  it('expires the failure once, however many replicas sweep at that moment', async () => {
    const namespace = `retry-window-${Date.now()}`;
    const stores = [
      await openStore(process.env.REDIS_URL!, { namespace }),
      await openStore(process.env.REDIS_URL!, { namespace }),
    ];
    try {
      const notifiers = [new RecordingNotifier(), new RecordingNotifier()];
      const [a, b] = stores.map(
        (store, i) =>
          new AccessService({
            repository: store.repository,
            locker: store.locker,
            accounts: oneAccount(client),
            notifier: notifiers[i]!,
            requestTtlMs: 60 * 60_000,
            clock: { now: () => now },
            sharedStore: true,
            instanceId: `r${i}`,
          }),
      );
      graph.queueFault({ status: 403, body: graphError(200, 'Permissions error'), match: (c) => c.method === 'POST' });
      const filed = await a!.submit({
        kind: 'grant',
        userId: ALICE,
        tasks: ['MESSAGING'],
        requesterId: 'ULEAD',
        channelId: 'C',
      });
      if (filed.kind !== 'submitted') throw new Error(filed.kind);
      await b!.decide({ requestId: filed.request.id, actorId: 'UANN', decision: 'approve' });
      expect(await stores[1]!.repository.retryableIds()).toEqual([filed.request.id]);

      now = new Date(now.getTime() + 60 * 60_000);
      const swept = await Promise.all([a!, b!, a!, b!].map((replica) => replica.expireDue()));
      expect(swept.reduce((x, y) => x + y, 0)).toBe(1);
      expect(notifiers.flatMap((n) => n.changes).filter((change) => change.state === 'expired')).toHaveLength(1);
      expect(await stores[0]!.repository.get(filed.request.id)).toMatchObject({ state: 'expired' });
      expect(await stores[0]!.repository.retryableIds()).toEqual([]);
    } finally {
      for (const store of stores) await store.close();
    }
  });
});

describe('AccessService with several approvals', () => {
  const FULL_CONTROL_BY_TWO: ApprovalCounts = { default: 1, byTask: { FULL_CONTROL: 2 } };

  it('waits for two different approvers, refuses a second click by the same one, and writes once', async () => {
    service = build({ approvals: FULL_CONTROL_BY_TWO });
    const request = await submitGrant(DAVE, ['FULL_CONTROL']);
    expect(request.approvalsRequired).toBe(2);

    const first = await service.decide({ requestId: request.id, actorId: 'UANN', decision: 'approve' });
    expect(first).toMatchObject({ kind: 'progress', request: { state: 'pending' } });
    expect(notifier.changes.at(-1)).toMatchObject({ state: 'pending', decisions: [{ by: 'UANN' }] });
    const again = await service.decide({ requestId: request.id, actorId: 'UANN', decision: 'approve' });
    expect(again.kind).toBe('duplicate');
    expect(graph.writes()).toHaveLength(0);

    const second = await service.decide({ requestId: request.id, actorId: 'UBOB', decision: 'approve' });
    expect(second).toMatchObject({ kind: 'done', request: { state: 'succeeded' } });
    expect(graph.writes()).toHaveLength(1);
    expect((await repository.auditOf(request.id)).map((entry) => entry.event)).toEqual([
      'pending',
      'announced',
      'approval-recorded',
      'approved',
      'executing',
      'succeeded',
    ]);
  });

  it('ends with one deny after an approval, and sends nothing to Graph', async () => {
    service = build({ approvals: FULL_CONTROL_BY_TWO });
    const request = await submitGrant(DAVE, ['MESSAGING', 'FULL_CONTROL']);
    await service.decide({ requestId: request.id, actorId: 'UANN', decision: 'approve' });
    const denied = await service.decide({ requestId: request.id, actorId: 'UBOB', decision: 'deny', reason: 'no' });
    expect(denied).toMatchObject({ kind: 'done', request: { state: 'denied' } });
    expect(graph.writes()).toHaveLength(0);
  });

  it('asks one approval for other tasks and for revokes, and refuses what too few approvers could approve', async () => {
    service = build({ approvals: FULL_CONTROL_BY_TWO });
    expect((await submitGrant(DAVE, ['MESSAGING'])).approvalsRequired).toBeUndefined();
    const revoke = await service.submit({ kind: 'revoke', userId: ALICE, requesterId: 'ULEAD', channelId: 'CTEAM' });
    expect(revoke.kind).toBe('submitted');
    expect(revoke.kind === 'submitted' && revoke.request.approvalsRequired).toBeUndefined();

    // UANN asking leaves only UBOB to approve a request that needs two.
    const own = await service.submit({
      kind: 'grant',
      userId: DAVE,
      tasks: ['FULL_CONTROL'],
      requesterId: 'UANN',
      channelId: 'CTEAM',
    });
    expect(own).toEqual({ kind: 'too-few-approvers', account: 'default', required: 2, possible: 1 });
    expect(notifier.announced).toHaveLength(2);
  });
});

describe('AccessService reminders', () => {
  it('reminds approvers once, after the set time, leaving out the requester and those who approved', async () => {
    service = build({ approvals: { default: 2, byTask: {} }, remindAfterMs: 4 * 3_600_000 });
    const request = await submitGrant(DAVE);
    await service.decide({ requestId: request.id, actorId: 'UANN', decision: 'approve' });

    now = new Date(now.getTime() + 3 * 3_600_000);
    expect(await service.remindDue()).toBe(0);
    now = new Date(now.getTime() + 3_600_000);
    expect(await Promise.all([service.remindDue(), service.remindDue()])).toEqual(expect.arrayContaining([1, 0]));
    expect(await service.remindDue()).toBe(0);

    expect(notifier.reminders).toHaveLength(1);
    expect(notifier.reminders[0]).toMatchObject({ request: { id: request.id }, approverIds: ['UBOB'] });
    expect((await repository.auditOf(request.id)).map((entry) => entry.event)).toContain('reminded');
  });

  it('never reminds when reminders are off, nor of requests already decided', async () => {
    const decided = await submitGrant(DAVE);
    await service.decide({ requestId: decided.id, actorId: 'UANN', decision: 'approve' });
    const waiting = await submitGrant(ALICE, ['MESSAGING']);
    now = new Date(now.getTime() + 30 * 60_000);

    expect(await service.remindDue()).toBe(0);
    expect(notifier.reminders).toEqual([]);
    expect(await build({ remindAfterMs: 60_000 }).remindDue()).toBe(1);
    expect(notifier.reminders.map((reminder) => reminder.request.id)).toEqual([waiting.id]);
  });
});

describe('AccessService personal lists', () => {
  it('lists open requests by requester and by approver, lets only the requester cancel, and keeps recent activity', async () => {
    const first = await submitGrant(DAVE);
    now = new Date(now.getTime() + 60_000);
    const second = await submitGrant(ALICE, ['MESSAGING']);

    const lead = await service.requestsOf('ULEAD');
    expect(lead.mine.map((request) => request.id)).toEqual([second.id, first.id]);
    expect(lead.toDecide).toEqual([]);
    expect((await service.requestsOf('UANN')).toDecide.map((request) => request.id)).toEqual([second.id, first.id]);
    expect((await service.requestsOf('USTRANGER')).toDecide).toEqual([]);

    expect(await service.cancel({ requestId: first.id, actorId: 'UANN' })).toMatchObject({ kind: 'not-requester' });
    expect(await service.cancel({ requestId: first.id, actorId: 'ULEAD' })).toMatchObject({
      kind: 'done',
      request: { state: 'canceled', canceledBy: 'ULEAD' },
    });
    expect(await service.cancel({ requestId: first.id, actorId: 'ULEAD' })).toMatchObject({ kind: 'already' });
    await service.decide({ requestId: second.id, actorId: 'UANN', decision: 'approve' });

    expect((await service.requestsOf('ULEAD')).mine).toEqual([]);
    expect((await service.recentOf('ULEAD')).map((request) => request.state)).toEqual(['succeeded', 'canceled']);
    expect((await service.recentOf('UANN')).map((request) => request.id)).toEqual([second.id]);
    expect(await service.recentOf('UBOB')).toEqual([]);
  });
});

describe('AccessService with several accounts', () => {
  const SALES_WABA = '1000000000002';
  let accounts: Accounts;

  function buildTwo() {
    graph.addWaba({ id: SALES_WABA, name: 'Sales', businessId: BUSINESS });
    const support = accountPolicy({ alias: 'support', wabaId: WABA, businessId: BUSINESS, approverIds: ['UANN'] });
    const sales = accountPolicy({
      alias: 'sales',
      wabaId: SALES_WABA,
      businessId: BUSINESS,
      approverIds: ['UBOB'],
      durations: { maxMs: 4 * 3_600_000, minMs: 60_000, allowPermanent: false },
    });
    accounts = new Accounts(
      { accounts: [support, sales], defaultAlias: 'support', adminIds: [], people: NO_PEOPLE },
      { graph: client, groupMembers: async () => undefined },
    );
    const locker = new InProcessLocker();
    repository = new KeyvRequestRepository(new Keyv());
    return new AccessService({
      repository,
      locker,
      accounts,
      notifier,
      requestTtlMs: 3_600_000,
      clock: { now: () => now },
    });
  }

  const onSales = (requesterId = 'ULEAD') =>
    service.submit({
      kind: 'grant',
      account: 'sales',
      userId: DAVE,
      tasks: ['MESSAGING'],
      duration: 3_600_000,
      requesterId,
      channelId: 'CTEAM',
    });

  it('files a request on the account named, where only that account’s approvers decide it', async () => {
    service = buildTwo();
    const submitted = await onSales();
    if (submitted.kind !== 'submitted') throw new Error(submitted.kind);
    expect(submitted.request).toMatchObject({ wabaId: SALES_WABA, accountAlias: 'sales', currentTasks: null });
    expect(submitted.account.alias).toBe('sales');

    const wrong = await service.decide({ requestId: submitted.request.id, actorId: 'UANN', decision: 'approve' });
    expect(wrong).toMatchObject({ kind: 'forbidden', reason: 'not-approver', approverIds: ['UBOB'] });
    const right = await service.decide({ requestId: submitted.request.id, actorId: 'UBOB', decision: 'approve' });
    expect(right).toMatchObject({ kind: 'done', request: { state: 'succeeded' } });
    expect(graph.tasksOf(SALES_WABA, DAVE)).toEqual(['MESSAGING']);
    expect(graph.tasksOf(WABA, DAVE)).toBeUndefined();

    // The grant belongs to sales too: ending it early is for sales' approvers.
    expect(await service.revokeGrantNow(submitted.request.id, 'UANN')).toMatchObject({ kind: 'forbidden' });
    expect(await service.activeGrants(accounts.byAlias('support'))).toEqual([]);
    expect(await service.activeGrants(accounts.byAlias('sales'))).toHaveLength(1);
  });

  it('puts each request before its own account’s approvers: in their lists and in reminders', async () => {
    service = buildTwo();
    const onSupport = await submitGrant(DAVE);
    const sales = await onSales();
    if (sales.kind !== 'submitted') throw new Error(sales.kind);
    expect((await service.requestsOf('UANN')).toDecide.map((request) => request.id)).toEqual([onSupport.id]);
    expect((await service.requestsOf('UBOB')).toDecide.map((request) => request.id)).toEqual([sales.request.id]);

    const remindAfterMs = 3_600_000;
    const reminding = new AccessService({
      repository,
      locker: new InProcessLocker(),
      accounts,
      notifier,
      requestTtlMs: 24 * remindAfterMs,
      remindAfterMs,
      clock: { now: () => now },
    });
    now = new Date(now.getTime() + remindAfterMs);
    expect(await reminding.remindDue()).toBe(2);
    expect(
      Object.fromEntries(notifier.reminders.map(({ request, approverIds }) => [request.wabaId, approverIds])),
    ).toEqual({ [WABA]: ['UANN'], [SALES_WABA]: ['UBOB'] });
  });

  it('applies each account’s own limits, and lists what there is when the account is unknown', async () => {
    service = buildTwo();
    const tooLong = await service.submit({
      kind: 'grant',
      account: 'sales',
      userId: DAVE,
      tasks: ['MESSAGING'],
      duration: 8 * 3_600_000,
      requesterId: 'ULEAD',
      channelId: 'CTEAM',
    });
    expect(tooLong).toMatchObject({ kind: 'too-long', maxMs: 4 * 60 * 60_000 });
    expect((await submitGrant(DAVE)).wabaId).toBe(WABA);
    expect(
      await service.submit({ kind: 'revoke', account: 'nope', userId: ALICE, requesterId: 'ULEAD', channelId: 'C' }),
    ).toEqual({ kind: 'unknown-account', alias: 'nope', aliases: ['support', 'sales'] });
  });

  it('lets requests on an account taken out by a reload finish, and says so once the account is unknown', async () => {
    service = buildTwo();
    const submitted = await onSales();
    if (submitted.kind !== 'submitted') throw new Error(submitted.kind);
    accounts.replace({ ...accounts.policy, accounts: [accounts.policy.accounts[0]!] });
    expect(await onSales()).toMatchObject({ kind: 'unknown-account', alias: 'sales' });
    expect(
      await service.decide({ requestId: submitted.request.id, actorId: 'UBOB', decision: 'approve' }),
    ).toMatchObject({ kind: 'done', request: { state: 'succeeded' } });

    const another = await service.submit({
      kind: 'grant',
      userId: DAVE,
      tasks: ['MESSAGING'],
      requesterId: 'ULEAD',
      channelId: 'C',
    });
    if (another.kind !== 'submitted') throw new Error(another.kind);
    // A process started without the account: nobody may decide the request, and it says why.
    const restarted = new AccessService({
      repository,
      locker: new InProcessLocker(),
      accounts: oneAccount(client, { wabaId: SALES_WABA }),
      notifier,
      requestTtlMs: 3_600_000,
      clock: { now: () => now },
    });
    expect(
      await restarted.decide({ requestId: another.request.id, actorId: 'UANN', decision: 'approve' }),
    ).toMatchObject({ kind: 'unconfigured' });
    expect(graph.tasksOf(WABA, DAVE)).toBeUndefined();
  });
});

describe('AccessService extensions', () => {
  async function liveGrant(durationMs = 60 * 60_000) {
    const result = await service.submit({
      kind: 'grant',
      userId: ALICE,
      tasks: ['MESSAGING'],
      duration: durationMs,
      requesterId: 'ULEAD',
      channelId: 'CTEAM',
    });
    if (result.kind !== 'submitted') throw new Error(result.kind);
    await service.decide({ requestId: result.request.id, actorId: 'UANN', decision: 'approve' });
    const [grant] = await service.activeGrants();
    return grant!;
  }

  it('keeps one extension of a grant waiting at a time', async () => {
    const grant = await liveGrant();
    const first = await service.submitExtension({ grantId: grant.id, durationMs: 60_000, requesterId: 'UANN' });
    expect(first.kind).toBe('submitted');
    expect(await service.submitExtension({ grantId: grant.id, durationMs: 60_000, requesterId: 'UBOB' })).toMatchObject(
      { kind: 'extension-waiting', requestId: first.kind === 'submitted' ? first.request.id : '' },
    );
  });

  it('checks the longest grant again when an extension is carried out, so waiting ones cannot stack past it', async () => {
    const day = 24 * 60 * 60_000;
    const grant = await liveGrant(29 * day);
    const ask = await service.submitExtension({ grantId: grant.id, durationMs: 12 * 60 * 60_000, requesterId: 'UANN' });
    if (ask.kind !== 'submitted') throw new Error(ask.kind);
    // Asked for when it fitted; by the time it is approved, the grant was extended some other way.
    await repository.saveGrant({ ...grant, endsAt: new Date(now.getTime() + 29.75 * day).toISOString() });
    const result = await service.decide({ requestId: ask.request.id, actorId: 'UBOB', decision: 'approve' });
    expect(result).toMatchObject({
      kind: 'done',
      request: { state: 'failed', error: { category: 'invalid', message: expect.stringContaining('30d allowed') } },
    });
    expect((await repository.getGrant(grant.id))?.endsAt).toBe(new Date(now.getTime() + 29.75 * day).toISOString());
  });
});
