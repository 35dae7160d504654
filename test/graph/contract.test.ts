import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGraph, graphError } from '../../sandbox/fake-graph.js';
import { GraphClient } from '../../src/graph/client.js';
import { requestProblems, responseProblems } from '../support/openapi.js';

const WABA = '1000000000001';
const BUSINESS = '2000000000001';
const TOKEN = 'contract-token';

describe("contract with Meta's OpenAPI subset", () => {
  const graph = new FakeGraph({ accessToken: TOKEN, appSecret: 'secret' })
    .addWaba({ id: WABA, name: 'Contract WABA', businessId: BUSINESS })
    .addUser({ id: '300000000000001', name: 'Ann', user_type: 'BUSINESS_USER' })
    .addUser({ id: '300000000000002', name: 'Bot', user_type: 'SYSTEM_USER' });
  let client: GraphClient;

  beforeAll(async () => {
    await graph.start();
    client = new GraphClient({
      baseUrl: graph.url,
      accessToken: TOKEN,
      appSecret: 'secret',
      retry: { baseDelayMs: 1 },
    });
    graph.assign(WABA, '300000000000002', ['MANAGE']);
    await client.assignUser({ wabaId: WABA, userId: '300000000000001', tasks: ['MESSAGING', 'VIEW_TEMPLATES'] });
    await client.listAssignedUsers({ wabaId: WABA, businessId: BUSINESS, limit: 1 });
    await client.listAssignedAccounts({ userId: '300000000000001', limit: 1 });
    await client.removeUser({ wabaId: WABA, userId: '300000000000001' });
    await client.listAssignedAccounts({ userId: '300000000000001' });
    graph.queueFault({
      status: 500,
      body: graphError(2, 'Unexpected error', 'GraphMethodException', undefined, { is_transient: true }),
    });
    await client.listAssignedUsers({ wabaId: WABA, businessId: BUSINESS });
    await client.removeUser({ wabaId: WABA, userId: '300000000000001' }).catch(() => undefined);
  });

  afterAll(async () => {
    await client.close();
    await graph.stop();
  });

  it('covers every operation', () => {
    const operations = new Set(graph.calls.map((call) => `${call.method} ${call.path.replace(/\d{5,}/g, '{id}')}`));
    expect([...operations].sort()).toEqual([
      'DELETE /v23.0/{id}/assigned_users',
      'GET /v23.0/{id}/assigned_users',
      'GET /v23.0/{id}/assigned_whatsapp_business_accounts',
      'POST /v23.0/{id}/assigned_users',
    ]);
  });

  it('every request the client sent conforms', () => {
    expect(graph.calls.length).toBeGreaterThan(6);
    for (const call of graph.calls) expect(requestProblems(call), `${call.method} ${call.path}`).toEqual([]);
  });

  it('every response the fake served conforms', () => {
    expect(graph.calls.some((call) => call.status !== 200)).toBe(true);
    for (const call of graph.calls)
      expect(responseProblems(call), `${call.method} ${call.path} ${call.status}`).toEqual([]);
  });

  it('notices a request that breaks the contract', () => {
    const [call] = graph.calls;
    expect(requestProblems({ ...call!, form: { user: 'abc', tasks: '["NOPE"]' }, method: 'POST' })).not.toEqual([]);
    expect(requestProblems({ ...call!, method: 'GET', query: { limit: '500' } })).toEqual(
      expect.arrayContaining([expect.stringMatching(/business/), expect.stringMatching(/limit/)]),
    );
  });
});
