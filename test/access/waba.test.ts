import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGraph, graphError as graphErrorBody } from '../../sandbox/fake-graph.js';
import { PersonEdgeError, WabaAccess } from '../../src/access/waba.js';
import { GraphClient } from '../../src/graph/client.js';

const WABA = '1000000000001';
const BUSINESS = '2000000000001';
const ALICE = '300000000000001';
const DAVE = '300000000000002';

let graph: FakeGraph;
let client: GraphClient;
let waba: WabaAccess;
const rosterReads = () =>
  graph.calls.filter((call) => call.path.endsWith('/assigned_users') && call.method === 'GET').length;

beforeEach(async () => {
  graph = new FakeGraph({ accessToken: 't' })
    .addWaba({ id: WABA, name: 'Support', businessId: BUSINESS })
    .addUser({ id: ALICE, name: 'Alice', user_type: 'BUSINESS_USER' })
    .addUser({ id: DAVE, name: 'Dave', user_type: 'BUSINESS_USER' })
    .assign(WABA, ALICE, ['MANAGE']);
  await graph.start();
  client = new GraphClient({ baseUrl: graph.url, accessToken: 't' });
  waba = new WabaAccess(client, WABA, BUSINESS);
});

afterEach(async () => {
  await client.close();
  await graph.stop();
});

describe('WabaAccess roster reads', () => {
  it('share one paging among concurrent readers, and cache it', async () => {
    const rosters = await Promise.all(Array.from({ length: 10 }, () => waba.roster()));
    expect(rosters.every((roster) => roster.users.length === 1)).toBe(true);
    await waba.roster();
    expect(rosterReads()).toBe(1);
  });

  it('make a fresh read see a change made after a read already under way began', async () => {
    graph.latencyMs = 100;
    const early = waba.roster();
    await sleep(30);
    graph.assign(WABA, ALICE, ['MANAGE', 'VIEW_COST']);
    const fresh = await waba.roster({ fresh: true }).then((r) => r.users.find((u) => u.id === ALICE));
    expect(fresh?.tasks).toEqual(['MANAGE', 'VIEW_COST']);
    expect((await early).users[0]?.tasks).toEqual(['MANAGE']);
  });

  it('let every fresh reader arriving during a read share the next one', async () => {
    graph.latencyMs = 50;
    const early = waba.roster();
    await sleep(10);
    await Promise.all(Array.from({ length: 10 }, () => waba.roster({ fresh: true })));
    await early;
    expect(rosterReads()).toBe(2);
  });
});

describe('WabaAccess roster cache and the bot’s own writes', () => {
  const usersOf = (roster: { users: Array<{ id: string; tasks: string[] }> }) =>
    Object.fromEntries(roster.users.map((user) => [user.id, user.tasks]));

  it('patches the cached roster after a grant, a new user and a removal, keeping when it was read', async () => {
    const first = await waba.roster();
    expect(rosterReads()).toBe(1);

    await waba.setTasks(ALICE, ['MANAGE', 'MESSAGING']);
    await waba.setTasks(DAVE, ['VIEW_TEMPLATES']);
    const afterGrants = await waba.roster();
    expect(usersOf(afterGrants)).toEqual({ [ALICE]: ['MANAGE', 'MESSAGING'], [DAVE]: ['VIEW_TEMPLATES'] });
    expect(afterGrants.readAt).toBe(first.readAt);

    await waba.setTasks(ALICE, null);
    const afterRemoval = await waba.roster();
    expect(usersOf(afterRemoval)).toEqual({ [DAVE]: ['VIEW_TEMPLATES'] });
    expect(afterRemoval.readAt).toBe(first.readAt);
    // Three writes, one read: the cache served every list since.
    expect(rosterReads()).toBe(1);
    expect(graph.writes()).toHaveLength(3);
    // Readers of the earlier roster keep what they were given.
    expect(usersOf(first)).toEqual({ [ALICE]: ['MANAGE'] });
  });

  it('patches after addTasks and removeUser too, so a list right after an approval costs nothing', async () => {
    await waba.addTasks(ALICE, ['MESSAGING']);
    const reads = rosterReads();
    expect((await waba.roster()).users[0]?.tasks).toEqual(['MANAGE', 'MESSAGING']);
    await waba.removeUser(ALICE);
    const reads2 = rosterReads();
    expect((await waba.roster()).users).toEqual([]);
    expect(rosterReads()).toBe(reads2);
    expect(reads2).toBeGreaterThanOrEqual(reads);
  });

  it('applies a write that ends while a read is under way to that read, and caches the result', async () => {
    // Graph builds the page before the write lands, and answers after it is confirmed.
    graph.queueFault({ delayMs: 150, match: (call) => call.method === 'GET' });
    const reading = waba.roster();
    await sleep(30);
    await waba.setTasks(DAVE, ['MESSAGING']);
    const read = await reading;
    expect(usersOf(read)).toEqual({ [ALICE]: ['MANAGE'], [DAVE]: ['MESSAGING'] });
    expect(usersOf(await waba.roster())).toEqual({ [ALICE]: ['MANAGE'], [DAVE]: ['MESSAGING'] });
    expect(rosterReads()).toBe(1);
  });

  it('does not double a write the overlapping read already saw', async () => {
    // The write lands first; the read is built after it but still under way when the write is confirmed.
    graph.latencyMs = 60;
    const writing = waba.setTasks(DAVE, ['MESSAGING']);
    await sleep(10);
    const read = await waba.roster();
    await writing;
    expect(read.users.filter((user) => user.id === DAVE)).toHaveLength(1);
    expect((await waba.roster()).users.filter((user) => user.id === DAVE)).toHaveLength(1);
  });

  it('drops the cache when a write fails (it may have landed), and does not cache a read it overlapped', async () => {
    const once = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { maxAttempts: 1 } });
    const failing = new WabaAccess(once, WABA, BUSINESS);
    try {
      await failing.roster();
      graph.queueFault({ status: 500, match: (call) => call.method === 'POST' });
      await expect(failing.setTasks(DAVE, ['MESSAGING'])).rejects.toThrow();
      expect(failing.cachedRoster()).toBeUndefined();

      await failing.roster();
      const readsBefore = rosterReads();
      graph.queueFault({ delayMs: 100, match: (call) => call.method === 'GET' });
      graph.queueFault({ status: 500, match: (call) => call.method === 'POST' });
      const overlapped = failing.roster({ fresh: true });
      await sleep(20);
      await expect(failing.setTasks(DAVE, ['MESSAGING'])).rejects.toThrow();
      await overlapped;
      expect(failing.cachedRoster()).toBeUndefined();
      await failing.roster();
      expect(rosterReads()).toBe(readsBefore + 2);
    } finally {
      await once.close();
    }
  });
});

describe('WabaAccess person reads', () => {
  const calls = () => graph.calls.map((call) => `${call.method} ${call.path.split('/').pop()}`);
  const onUsersEdge = (call: { path: string }) => call.path.endsWith('/assigned_whatsapp_business_accounts');

  it('read one person on their own edge, whatever the roster size: one call, no roster paging', async () => {
    for (let i = 0; i < 250; i++) {
      const id = `4000000000${i}`;
      graph.addUser({ id, name: `U${i}`, user_type: 'BUSINESS_USER' }).assign(WABA, id, ['MESSAGING']);
    }
    graph.addUser({ id: '500000000001', name: 'Nobody yet', user_type: 'BUSINESS_USER' });
    expect(await waba.personAccess(ALICE)).toEqual({ kind: 'holds', tasks: ['MANAGE'] });
    expect(await waba.personAccess('500000000001')).toEqual({ kind: 'none' });
    expect(await waba.personAccess('999999999')).toEqual({ kind: 'unknown-user' });
    expect(calls()).toEqual(Array(3).fill('GET assigned_whatsapp_business_accounts'));
  });

  it('name the person as the last roster read did, without a call for it', async () => {
    await waba.roster();
    const before = graph.calls.length;
    expect(await waba.personAccess(ALICE)).toEqual({ kind: 'holds', tasks: ['MANAGE'], name: 'Alice' });
    expect(graph.calls.length - before).toBe(1);
  });

  it('fall back to the roster, logging once, when the edge leaves out permissions or is refused', async () => {
    const logged: string[] = [];
    waba = new WabaAccess(client, WABA, BUSINESS, 30_000, Date.now, (_obj, msg) => logged.push(msg));
    graph.queueFault({ status: 200, body: { data: [{ id: WABA, name: 'Support' }] }, match: onUsersEdge });
    expect(await waba.personAccess(ALICE)).toEqual({ kind: 'holds', tasks: ['MANAGE'], name: 'Alice' });
    graph.queueFault({ status: 403, body: graphErrorBody(200, 'Permissions error'), match: onUsersEdge });
    graph.assign(WABA, ALICE, ['MANAGE', 'VIEW_COST']);
    // The fallback's roster read is a fresh one: it sees the change just made.
    expect(await waba.personAccess(ALICE)).toMatchObject({ kind: 'holds', tasks: ['MANAGE', 'VIEW_COST'] });
    expect(calls()).toEqual([
      'GET assigned_whatsapp_business_accounts',
      'GET assigned_users',
      'GET assigned_whatsapp_business_accounts',
      'GET assigned_users',
    ]);
    expect(logged).toHaveLength(1);
  });

  it('refuse, rather than page the roster, when asked for a preview the edge cannot give', async () => {
    graph.queueFault({ status: 200, body: { data: [{ id: WABA, name: 'Support' }] }, match: onUsersEdge });
    await expect(waba.personAccess(ALICE, { orRoster: false })).rejects.toBeInstanceOf(PersonEdgeError);
    expect(calls()).toEqual(['GET assigned_whatsapp_business_accounts']);
  });

  it('throw throttles instead of spending more of the budget on the roster', async () => {
    const throttle = { status: 400, body: graphErrorBody(80008, 'Too many calls'), match: onUsersEdge };
    graph.queueFault(throttle, throttle, throttle, throttle, throttle);
    const fast = new GraphClient({ baseUrl: graph.url, accessToken: 't', retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    await expect(new WabaAccess(fast, WABA, BUSINESS).personAccess(ALICE)).rejects.toMatchObject({
      category: 'throttled',
    });
    await fast.close();
    expect(calls().filter((call) => call === 'GET assigned_users')).toEqual([]);
  });
});
