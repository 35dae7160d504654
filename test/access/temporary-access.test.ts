import Keyv from 'keyv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGraph } from '../../sandbox/fake-graph.js';
import type { GrantDurations } from '../../src/access/accounts.js';
import { AccessService } from '../../src/access/service.js';
import { GraphClient } from '../../src/graph/client.js';
import type { Task } from '../../src/graph/tasks.js';
import { InProcessLocker } from '../../src/store/locks.js';
import { KeyvRequestRepository } from '../../src/store/requests.js';
import { ALICE, DAVE, oneAccount, RecordingNotifier, smallGraph, WABA } from '../support/service-fixture.js';

const HOUR = 3_600_000;

let graph: FakeGraph;
let client: GraphClient;
let notifier: RecordingNotifier;
let repository: KeyvRequestRepository;
let now: Date;
let service: AccessService;

function build(durations: GrantDurations = { maxMs: 30 * 24 * HOUR, minMs: 60_000, allowPermanent: true }) {
  const locker = new InProcessLocker();
  repository = new KeyvRequestRepository(new Keyv());
  return new AccessService({
    repository,
    locker,
    accounts: oneAccount(client, { durations }, { rosterCacheMs: 0, now: () => now.getTime() }),
    notifier,
    requestTtlMs: 24 * HOUR,
    clock: { now: () => now },
  });
}

beforeEach(async () => {
  graph = smallGraph();
  await graph.start();
  client = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { baseDelayMs: 1, maxDelayMs: 2 } });
  notifier = new RecordingNotifier();
  now = new Date('2026-03-01T09:00:00Z');
  service = build();
});

afterEach(async () => {
  await client.close();
  await graph.stop();
});

/** Asks for and approves a grant; returns the request id (which is also the grant's id). */
async function grantFor(userId: string, tasks: Task[], durationMs?: number | 'permanent') {
  const submitted = await service.submit({
    kind: 'grant',
    userId,
    tasks,
    requesterId: 'ULEAD',
    channelId: 'CTEAM',
    ...(durationMs === undefined ? {} : { duration: durationMs }),
  });
  if (submitted.kind !== 'submitted') throw new Error(submitted.kind);
  const done = await service.decide({ requestId: submitted.request.id, actorId: 'UANN', decision: 'approve' });
  if (done.kind !== 'done' || done.request.state !== 'succeeded')
    throw new Error(`not granted: ${JSON.stringify(done)}`);
  return submitted.request.id;
}

const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
const writes = () => graph.writes().map((call) => `${call.method} ${call.form.tasks ?? call.query.user}`);

describe('temporary grants', () => {
  it('put back exactly the tasks the user had before, at the end and not before', async () => {
    const id = await grantFor(ALICE, ['MESSAGING'], HOUR);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'MESSAGING']);
    later(HOUR - 1);
    expect(await service.expireGrants()).toBe(0);
    later(1);
    expect(await service.expireGrants()).toBe(1);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
    expect(writes()).toEqual(['POST ["MANAGE","MESSAGING"]', 'POST ["MANAGE"]']);
    expect(await repository.getGrant(id)).toMatchObject({
      state: 'ended',
      outcome: 'restored',
      finalTasks: ['MANAGE'],
    });
    expect(await repository.getLedger(WABA, ALICE)).toBeUndefined();
    expect(await service.activeGrants()).toEqual([]);
  });

  it('remove only a user who had no access before', async () => {
    await grantFor(DAVE, ['MESSAGING'], HOUR);
    later(HOUR);
    await service.expireGrants();
    expect(graph.tasksOf(WABA, DAVE)).toBeUndefined();
    expect(graph.writes().at(-1)).toMatchObject({ method: 'DELETE' });
  });

  it('stack: the end of one never removes tasks another live grant covers', async () => {
    await grantFor(ALICE, ['MESSAGING'], HOUR);
    await grantFor(ALICE, ['MESSAGING', 'VIEW_COST'], 2 * HOUR);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'VIEW_COST', 'MESSAGING']);
    later(HOUR);
    await service.expireGrants();
    // The second grant still covers both tasks: nothing was sent.
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'VIEW_COST', 'MESSAGING']);
    expect(graph.writes()).toHaveLength(2);
    later(HOUR);
    await service.expireGrants();
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
  });

  it('keep a permanent grant made while a temporary one runs', async () => {
    await grantFor(ALICE, ['MESSAGING'], HOUR);
    await grantFor(ALICE, ['VIEW_COST'], 'permanent');
    later(HOUR);
    await service.expireGrants();
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'VIEW_COST']);
  });

  it('end once, however many sweeps run at the same time', async () => {
    await grantFor(ALICE, ['MESSAGING'], HOUR);
    later(HOUR);
    const counts = await Promise.all(Array.from({ length: 5 }, () => service.expireGrants()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(graph.writes()).toHaveLength(2);
  });

  it('catch up after downtime', async () => {
    await grantFor(ALICE, ['MESSAGING'], HOUR);
    later(3 * 24 * HOUR);
    expect(await service.expireGrants()).toBe(1);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
  });
});

describe('conflicts', () => {
  it('touch nothing when someone changed the user meanwhile, and ask approvers', async () => {
    const id = await grantFor(ALICE, ['MESSAGING'], HOUR);
    graph.assign(WABA, ALICE, ['MANAGE', 'MESSAGING', 'VIEW_COST']);
    later(HOUR);
    await service.expireGrants();
    expect(graph.writes()).toHaveLength(1);
    const grant = await repository.getGrant(id);
    expect(grant).toMatchObject({
      state: 'conflict',
      conflict: { expected: ['MANAGE', 'MESSAGING'], found: ['MANAGE', 'VIEW_COST', 'MESSAGING'], target: ['MANAGE'] },
      conflictMessages: [{ channel: 'CAPPROVALS', ts: 'conflict.0' }],
    });
    expect(notifier.grantChanges.at(-1)?.state).toBe('conflict');
    // A later sweep does not ask again.
    await service.expireGrants();
    expect(notifier.grantChanges.filter((g) => g.state === 'conflict')).toHaveLength(1);
  });

  it('restore: an approver puts back what ending should leave', async () => {
    const id = await grantFor(ALICE, ['MESSAGING'], HOUR);
    graph.assign(WABA, ALICE, ['MANAGE', 'MESSAGING', 'VIEW_COST']);
    later(HOUR);
    await service.expireGrants();
    expect(await service.resolveConflict(id, 'restore', 'ULEAD')).toEqual({
      kind: 'forbidden',
      reason: 'not-approver',
      approverIds: ['UANN', 'UBOB'],
    });
    expect(await service.resolveConflict(id, 'restore', 'UBOB')).toMatchObject({
      kind: 'ended',
      grant: { outcome: 'overridden' },
    });
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
    expect(await service.resolveConflict(id, 'keep', 'UBOB')).toMatchObject({ kind: 'not-live' });
  });

  it('keep: the access stays as found and becomes the user’s own', async () => {
    const id = await grantFor(ALICE, ['MESSAGING'], HOUR);
    graph.assign(WABA, ALICE, ['MANAGE', 'MESSAGING', 'VIEW_COST']);
    later(HOUR);
    await service.expireGrants();
    await service.resolveConflict(id, 'keep', 'UANN');
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE', 'MESSAGING', 'VIEW_COST']);
    expect(graph.writes()).toHaveLength(1);
    expect(await repository.getGrant(id)).toMatchObject({ state: 'ended', outcome: 'kept', endedBy: 'UANN' });
  });
});

describe('ending early and extending', () => {
  it('Revoke now ends a grant at once, for approvers only', async () => {
    const id = await grantFor(ALICE, ['MESSAGING'], HOUR);
    expect(await service.revokeGrantNow(id, 'ULEAD')).toMatchObject({ kind: 'forbidden', reason: 'not-approver' });
    expect(await service.revokeGrantNow(id, 'UBOB')).toMatchObject({
      kind: 'ended',
      grant: { endedBy: 'UBOB', outcome: 'restored' },
    });
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
    expect(await service.revokeGrantNow(id, 'UBOB')).toMatchObject({ kind: 'not-live' });
  });

  it('a revoke request ends the user’s live grants with them', async () => {
    const id = await grantFor(ALICE, ['MESSAGING'], HOUR);
    const submitted = await service.submit({ kind: 'revoke', userId: ALICE, requesterId: 'ULEAD', channelId: 'C' });
    if (submitted.kind !== 'submitted') throw new Error('not submitted');
    await service.decide({ requestId: submitted.request.id, actorId: 'UANN', decision: 'approve' });
    expect(graph.tasksOf(WABA, ALICE)).toBeUndefined();
    expect(await repository.getGrant(id)).toMatchObject({ state: 'ended', outcome: 'revoked' });
    later(HOUR);
    expect(await service.expireGrants()).toBe(0);
    expect(graph.tasksOf(WABA, ALICE)).toBeUndefined();
  });

  it('an approved extension moves the end; the old end passes without a change', async () => {
    const id = await grantFor(ALICE, ['MESSAGING'], HOUR);
    const asked = await service.submitExtension({
      grantId: id,
      durationMs: 2 * HOUR,
      requesterId: 'UANN',
    });
    if (asked.kind !== 'submitted') throw new Error(asked.kind);
    expect(asked.request).toMatchObject({
      kind: 'extend',
      grantId: id,
      originChannelId: 'CTEAM',
      durationMs: 2 * HOUR,
      grantEndsAt: '2026-03-01T10:00:00.000Z',
    });
    // The approver who asked for the extension cannot approve it.
    expect(await service.decide({ requestId: asked.request.id, actorId: 'UANN', decision: 'approve' })).toMatchObject({
      kind: 'forbidden',
    });
    await service.decide({ requestId: asked.request.id, actorId: 'UBOB', decision: 'approve' });
    expect(await repository.getGrant(id)).toMatchObject({ state: 'active', endsAt: '2026-03-01T12:00:00.000Z' });
    later(HOUR);
    expect(await service.expireGrants()).toBe(0);
    later(2 * HOUR);
    expect(await service.expireGrants()).toBe(1);
    expect(graph.tasksOf(WABA, ALICE)).toEqual(['MANAGE']);
  });

  it('refuses an extension past the longest allowed grant, or of a grant that ended', async () => {
    service = build({ maxMs: 4 * HOUR, minMs: 60_000, allowPermanent: true });
    const id = await grantFor(ALICE, ['MESSAGING'], HOUR);
    expect(await service.submitExtension({ grantId: id, durationMs: 4 * HOUR, requesterId: 'UANN' })).toMatchObject({
      kind: 'extension-too-long',
      mostMs: 3 * HOUR,
    });
    await service.revokeGrantNow(id, 'UANN');
    expect(await service.submitExtension({ grantId: id, durationMs: HOUR, requesterId: 'UANN' })).toMatchObject({
      kind: 'grant-ended',
    });
  });
});

describe('duration rules', () => {
  const submit = (duration?: number | 'permanent') =>
    service.submit({
      kind: 'grant',
      userId: DAVE,
      tasks: ['MESSAGING'],
      requesterId: 'ULEAD',
      channelId: 'C',
      ...(duration === undefined ? {} : { duration }),
    });

  it('refuse grants longer than the maximum or shorter than the minimum', async () => {
    service = build({ maxMs: 7 * 24 * HOUR, minMs: 5 * 60_000, allowPermanent: true });
    expect(await submit(8 * 24 * HOUR)).toMatchObject({
      kind: 'too-long',
      askedMs: 8 * 24 * HOUR,
      maxMs: 7 * 24 * HOUR,
    });
    expect(await submit(60_000)).toMatchObject({
      kind: 'too-short',
      askedMs: 60_000,
      minMs: 5 * 60_000,
    });
  });

  it('apply the default length, and refuse permanent grants when they are switched off', async () => {
    service = build({ defaultMs: 8 * HOUR, maxMs: 7 * 24 * HOUR, minMs: 60_000, allowPermanent: false });
    expect(await submit()).toMatchObject({ kind: 'submitted', request: { durationMs: 8 * HOUR } });
    expect(await submit('permanent')).toMatchObject({
      kind: 'permanent-off',
    });
  });

  it('treat a grant without a length as permanent when there is no default and permanent grants are allowed', async () => {
    const result = await submit();
    expect(result.kind).toBe('submitted');
    expect(result.kind === 'submitted' && 'durationMs' in result.request).toBe(false);
  });
});
