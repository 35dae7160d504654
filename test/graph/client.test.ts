import { createHmac } from 'node:crypto';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphClient } from '../../src/graph/client.js';
import { GraphError, GraphInputError } from '../../src/graph/errors.js';

const ORIGIN = 'https://graph.test';
const WABA = '1234567890';
const USER = '2345678901';
const TOKEN = 'test-token-not-real';

interface Seen {
  path: string;
  headers: Record<string, string>;
  body?: string;
}

let agent: MockAgent;
let clock: number;
let slept: number[];
let seen: Seen[];

function client(extra: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}) {
  return new GraphClient({
    baseUrl: ORIGIN,
    accessToken: TOKEN,
    dispatcher: agent,
    now: () => clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...extra,
  });
}

function reply(status: number, body: unknown, headers: Record<string, string> = {}) {
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply(
      status,
      (options) => {
        seen.push({
          path: String(options.path),
          headers: Object.fromEntries(Object.entries(options.headers as Record<string, string>)),
          body: options.body === undefined ? undefined : String(options.body),
        });
        return body as object;
      },
      { headers: { 'content-type': 'application/json', ...headers } },
    );
}

const ok = { success: true };
const error = (code: number, extra: object = {}) => ({
  error: { message: `error ${code}`, type: 'OAuthException', code, fbtrace_id: 'T', ...extra },
});

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  clock = 1_000_000;
  slept = [];
  seen = [];
});

afterEach(async () => {
  await agent.close();
});

describe('requests', () => {
  it('sends the token only as a Bearer header, and the tasks as a JSON array in a form body', async () => {
    reply(200, ok);
    await client().assignUser({ wabaId: WABA, userId: USER, tasks: ['MESSAGING', 'MANAGE', 'MESSAGING'] });
    const [call] = seen;
    expect(call?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(call?.path).toBe(`/v23.0/${WABA}/assigned_users`);
    expect(Object.fromEntries(new URLSearchParams(call?.body))).toEqual({
      user: USER,
      tasks: '["MANAGE","MESSAGING"]',
    });
    expect(call?.path).not.toContain(TOKEN);
  });

  it('adds appsecret_proof when an app secret is set', async () => {
    reply(200, ok);
    await client({ appSecret: 'shh', version: 'v26.0' }).removeUser({ wabaId: WABA, userId: USER });
    const url = new URL(seen[0]!.path, ORIGIN);
    expect(url.pathname).toBe(`/v26.0/${WABA}/assigned_users`);
    expect(url.searchParams.get('user')).toBe(USER);
    expect(url.searchParams.get('appsecret_proof')).toBe(createHmac('sha256', 'shh').update(TOKEN).digest('hex'));
  });

  it('asks for explicit fields, the business and a page size', async () => {
    reply(200, { data: [{ id: USER, name: 'Ann', tasks: ['MESSAGING'], extra: 1 }], summary: { total_count: 1 } });
    const page = await client().listAssignedUsers({ wabaId: WABA, businessId: '42' });
    const url = new URL(seen[0]!.path, ORIGIN);
    expect(url.searchParams.get('business')).toBe('42');
    expect(url.searchParams.get('fields')).toBe('id,name,user_type,business,tasks');
    expect(url.searchParams.get('limit')).toBe('100');
    expect(page).toEqual({ users: [{ id: USER, name: 'Ann', tasks: ['MESSAGING'] }], totalCount: 1 });
  });

  it('rejects bad input before any call', async () => {
    const graph = client();
    await expect(graph.assignUser({ wabaId: WABA, userId: 'alice', tasks: ['MESSAGING'] })).rejects.toThrow(
      GraphInputError,
    );
    await expect(graph.assignUser({ wabaId: 'x1', userId: USER, tasks: ['MESSAGING'] })).rejects.toThrow(
      /WABA id must be numeric/,
    );
    await expect(graph.assignUser({ wabaId: WABA, userId: USER, tasks: [] })).rejects.toThrow(/1 to 16 tasks/);
    await expect(graph.assignUser({ wabaId: WABA, userId: USER, tasks: ['MESSAGE'] })).rejects.toThrow(
      /Unknown task MESSAGE/,
    );
    await expect(graph.listAssignedUsers({ wabaId: WABA, businessId: '1', limit: 101 })).rejects.toThrow(/1 to 100/);
    expect(graph.callCount).toBe(0);
  });

  it('reads a response missing optional fields and keeps what we rely on strict', async () => {
    reply(200, { data: [{ id: '1' }] });
    expect((await client().listAssignedUsers({ wabaId: WABA, businessId: '1' })).users).toEqual([
      { id: '1', name: '', tasks: [] },
    ]);
    reply(200, { data: [{ name: 'no id' }] });
    await expect(client().listAssignedUsers({ wabaId: WABA, businessId: '1' })).rejects.toMatchObject({
      category: 'unknown',
    });
  });

  it('treats success: false as a failure', async () => {
    reply(200, { success: false });
    await expect(client().removeUser({ wabaId: WABA, userId: USER })).rejects.toThrow(/did not confirm/);
  });
});

describe('errors and retries', () => {
  it('retries a 5xx with backoff and then succeeds', async () => {
    reply(500, error(2, { is_transient: true }));
    reply(503, 'unavailable');
    reply(200, ok);
    const graph = client();
    await graph.assignUser({ wabaId: WABA, userId: USER, tasks: ['MESSAGING'] });
    expect(graph.callCount).toBe(3);
    expect(slept).toEqual([125, 250]);
  });

  it("tells its observer of every attempt: the edge, and Meta's code or what else went wrong", async () => {
    const calls: unknown[] = [];
    const graph = client({ observe: (call) => calls.push(call) });
    reply(500, error(2, { is_transient: true }));
    reply(503, 'unavailable');
    agent
      .get(ORIGIN)
      .intercept({ path: () => true, method: 'POST' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    reply(200, ok);
    await graph.assignUser({ wabaId: WABA, userId: USER, tasks: ['MESSAGING'] });
    reply(200, { unexpected: true });
    await expect(graph.listAssignedAccounts({ userId: USER })).rejects.toThrow(/shape we do not understand/);
    expect(calls).toEqual([
      { method: 'POST', edge: 'assigned_users', errorCode: '2', seconds: 0 },
      { method: 'POST', edge: 'assigned_users', errorCode: 'http_503', seconds: 0 },
      { method: 'POST', edge: 'assigned_users', errorCode: 'network', seconds: 0 },
      { method: 'POST', edge: 'assigned_users', errorCode: 'none', seconds: 0 },
      { method: 'GET', edge: 'assigned_whatsapp_business_accounts', errorCode: 'unparsed', seconds: 0 },
    ]);
    expect(graph.callCount).toBe(calls.length);
  });

  it('retries a connection failure', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: () => true, method: 'POST' })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    reply(200, ok);
    await client().assignUser({ wabaId: WABA, userId: USER, tasks: ['MESSAGING'] });
    expect(slept).toHaveLength(1);
  });

  it('gives up after the bounded number of attempts with the last error', async () => {
    for (let i = 0; i < 4; i++) reply(500, error(2, { is_transient: true }));
    const graph = client();
    await expect(graph.assignUser({ wabaId: WABA, userId: USER, tasks: ['MESSAGING'] })).rejects.toMatchObject({
      category: 'transient',
      code: 2,
      status: 500,
    });
    expect(graph.callCount).toBe(4);
  });

  it.each([
    [401, 190, 'auth'],
    [403, 200, 'permission'],
    [400, 100, 'invalid'],
  ] as const)('does not retry HTTP %s code %s (%s)', async (status, code, category) => {
    reply(status, error(code));
    const graph = client();
    const failure = await graph.removeUser({ wabaId: WABA, userId: USER }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GraphError);
    expect(failure).toMatchObject({ category, code, status, fbtraceId: 'T' });
    expect(graph.callCount).toBe(1);
  });

  it('honours Retry-After on a throttle', async () => {
    reply(400, error(4), { 'retry-after': '3' });
    reply(200, ok);
    await client().removeUser({ wabaId: WABA, userId: USER });
    expect(slept).toEqual([3_000]);
  });

  it("fails fast with the time to try again when Meta's lockout outlasts the bound", async () => {
    const usage = JSON.stringify({
      '99': [{ type: 'whatsapp_business_management', call_count: 100, estimated_time_to_regain_access: 15 }],
    });
    reply(400, error(80008), { 'x-business-use-case-usage': usage });
    const graph = client();
    const failure = (await graph.removeUser({ wabaId: WABA, userId: USER }).catch((e: unknown) => e)) as GraphError;
    expect(failure.category).toBe('throttled');
    expect(failure.retryAt).toEqual(new Date(1_000_000 + 15 * 60_000));
    expect(slept).toEqual([]);

    // The lockout is remembered: the next call about this WABA fails without reaching Graph.
    await expect(graph.assignUser({ wabaId: WABA, userId: USER, tasks: ['MESSAGING'] })).rejects.toMatchObject({
      category: 'throttled',
    });
    expect(graph.callCount).toBe(1);
  });

  it('holds new calls while usage is at or above 90 %, then sends them', async () => {
    const usage = JSON.stringify({
      '99': [{ type: 'whatsapp_business_management', call_count: 92, estimated_time_to_regain_access: 0 }],
    });
    reply(200, ok, { 'x-business-use-case-usage': usage });
    reply(200, ok);
    const graph = client({ retry: { maxTotalMs: 120_000 } });
    await graph.removeUser({ wabaId: WABA, userId: USER });
    await graph.removeUser({ wabaId: WABA, userId: USER });
    expect(slept).toEqual([60_000]);
    expect(graph.callCount).toBe(2);
  });
});
