import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGraph, graphError, seededGraph } from '../../sandbox/fake-graph.js';
import { GraphClient } from '../../src/graph/client.js';
import { GraphError } from '../../src/graph/errors.js';

const WABA = '1000000000001';
const BUSINESS = '2000000000001';
const TOKEN = 'integration-token';

let graph: FakeGraph;
let client: GraphClient;

function newClient(extra: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}) {
  return new GraphClient({
    baseUrl: graph.url,
    accessToken: TOKEN,
    appSecret: 'app-secret',
    timeoutMs: 300,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
}

beforeEach(async () => {
  graph = seededGraph({
    accessToken: TOKEN,
    appSecret: 'app-secret',
    wabaId: WABA,
    businessId: BUSINESS,
    userCount: 250,
  });
  await graph.start();
  client = newClient();
});

afterEach(async () => {
  await client.close();
  await graph.stop();
});

describe('GraphClient against the fake Graph', () => {
  it('walks every page of the roster, without ever putting a token in a URL', async () => {
    const pages: number[] = [];
    let total: number | undefined;
    for await (const page of client.assignedUsers({ wabaId: WABA, businessId: BUSINESS, limit: 100 })) {
      pages.push(page.users.length);
      total ??= page.totalCount;
    }
    expect(pages).toEqual([100, 100, 50]);
    expect(total).toBe(250);
    expect(graph.calls).toHaveLength(3);
    for (const call of graph.calls) {
      expect(call.query.access_token).toBeUndefined();
      expect(call.query.appsecret_proof).toMatch(/^[0-9a-f]{64}$/);
      expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });

  it('assigns, reads back, lists accounts and removes', async () => {
    const user = '100000000000001';
    await client.assignUser({ wabaId: WABA, userId: user, tasks: ['MESSAGING', 'VIEW_COST'] });
    expect(graph.tasksOf(WABA, user)).toEqual(['VIEW_COST', 'MESSAGING']);
    const accounts = await client.listAssignedAccounts({ userId: user });
    expect(accounts).toEqual([
      expect.objectContaining({ id: WABA, name: 'Demo WABA', permissions: ['VIEW_COST', 'MESSAGING'] }),
    ]);
    await client.removeUser({ wabaId: WABA, userId: user });
    expect(graph.tasksOf(WABA, user)).toBeUndefined();
    expect(await client.listAssignedAccounts({ userId: user })).toEqual([]);
  });

  it('surfaces Graph errors with their fields', async () => {
    const failure = await client
      .assignUser({ wabaId: WABA, userId: '999999999', tasks: ['MESSAGING'] })
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ category: 'not_found', code: 100, subcode: 33, fbtraceId: 'Fake100Trace' });
  });

  it('reports a bad token as an auth error without retrying', async () => {
    const bad = newClient({ accessToken: 'wrong' });
    await expect(bad.listAssignedUsers({ wabaId: WABA, businessId: BUSINESS })).rejects.toMatchObject({
      category: 'auth',
      code: 190,
    });
    expect(bad.callCount).toBe(1);
    await bad.close();
  });

  it('retries through a timeout, a reset and a 5xx', async () => {
    graph.queueFault(
      { delayMs: 1_000 },
      { reset: true },
      {
        status: 502,
        body: graphError(2, 'Service unavailable', 'GraphMethodException', undefined, { is_transient: true }),
      },
    );
    await client.assignUser({ wabaId: WABA, userId: '100000000000002', tasks: ['MANAGE'] });
    expect(client.callCount).toBe(4);
    expect(graph.tasksOf(WABA, '100000000000002')).toEqual(['MANAGE']);
  });

  it('reuses kept-alive connections', async () => {
    await client.listAssignedUsers({ wabaId: WABA, businessId: BUSINESS, limit: 10 });
    const sockets = new Set(graph.calls.map((call) => call.remotePort));
    expect(graph.calls.length).toBe(25);
    expect(sockets.size).toBeLessThanOrEqual(2);
  });
});

describe('GraphClient against an endpoint gone wrong', () => {
  it('refuses an answer over 4 MiB instead of reading it whole, as a transient failure', async () => {
    const huge = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"data":[],"padding":"${'x'.repeat(5 * 1024 * 1024)}"}`);
    });
    huge.listen(0, '127.0.0.1');
    await once(huge, 'listening');
    const far = new GraphClient({
      baseUrl: `http://127.0.0.1:${(huge.address() as AddressInfo).port}`,
      accessToken: TOKEN,
      timeoutMs: 2_000,
      retry: { maxAttempts: 1 },
    });
    try {
      const failure = await far.listAssignedAccounts({ userId: '300000000000001' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(GraphError);
      expect(failure).toMatchObject({ category: 'transient' });
      expect((failure as GraphError).message).toContain('UND_ERR_RES_EXCEEDED_MAX_SIZE');
    } finally {
      await far.close();
      huge.closeAllConnections();
      huge.close();
    }
  });
});
