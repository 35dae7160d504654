import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WabaAccess } from '../../src/access/waba.js';
import { GraphClient } from '../../src/graph/client.js';
import { FakeGraph } from '../../src/sandbox/fake-graph.js';

const WABA = '1000000000001';
const BUSINESS = '2000000000001';
const ALICE = '300000000000001';

let graph: FakeGraph;
let client: GraphClient;
let waba: WabaAccess;
const rosterReads = () =>
  graph.calls.filter((call) => call.path.endsWith('/assigned_users') && call.method === 'GET').length;

beforeEach(async () => {
  graph = new FakeGraph({ accessToken: 't' })
    .addWaba({ id: WABA, name: 'Support', businessId: BUSINESS })
    .addUser({ id: ALICE, name: 'Alice', user_type: 'BUSINESS_USER' })
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

  it('drop the cache after a write', async () => {
    await waba.roster();
    await waba.addTasks(ALICE, ['MESSAGING']);
    expect((await waba.roster()).users[0]?.tasks).toEqual(['MANAGE', 'MESSAGING']);
  });
});
