import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TASKS } from '../src/graph/tasks.js';

/**
 * A loopback stand-in for the Graph API's WABA user-assignment endpoints, with real state, cursor pagination,
 * Meta-shaped errors, usage headers and fault injection. Serves the sandbox, integration and e2e tests, benchmarks.
 */

export interface FakeUser {
  id: string;
  name: string;
  user_type: 'BUSINESS_USER' | 'SYSTEM_USER' | 'PERSONAL_USER';
}

export interface FakeWaba {
  id: string;
  name: string;
  businessId: string;
  /** user id → tasks */
  assignments: Map<string, string[]>;
}

export interface Fault {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Extra time before answering (or before resetting). */
  delayMs?: number;
  /** Destroy the connection instead of answering. */
  reset?: boolean;
  /** Only calls for which this returns true take the fault. */
  match?: (call: { method: string; path: string }) => boolean;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  response: unknown;
  /** The client's port: calls on one kept-alive connection share it. */
  remotePort?: number;
  /** When the call arrived and was answered (performance clock). */
  arrivedAt: number;
  answeredAt?: number;
}

export interface FakeGraphOptions {
  accessToken: string;
  appSecret?: string;
  /** Added to every answer. */
  latencyMs?: number;
  /** Headers added to every answer, e.g. usage headers. */
  headers?: Record<string, string>;
}

const TASK_SET = new Set<string>(TASKS);

export class FakeGraph {
  readonly users = new Map<string, FakeUser>();
  readonly wabas = new Map<string, FakeWaba>();
  readonly calls: RecordedCall[] = [];
  latencyMs: number;
  extraHeaders: Record<string, string>;
  /** Consulted for each call no queued fault matches: return a fault to inject one (e.g. at random). */
  faultPlan?: (call: { method: string; path: string }) => Fault | undefined;
  /** Told of every call once it is answered (or its connection reset). */
  onAnswered?: (call: RecordedCall) => void;
  private readonly faults: Fault[] = [];
  private server?: Server;
  private baseUrl = '';

  constructor(private readonly options: FakeGraphOptions) {
    this.latencyMs = options.latencyMs ?? 0;
    this.extraHeaders = options.headers ?? {};
  }

  get url(): string {
    return this.baseUrl;
  }

  addUser(user: FakeUser): this {
    this.users.set(user.id, user);
    return this;
  }

  addWaba(waba: { id: string; name: string; businessId: string }): this {
    this.wabas.set(waba.id, { ...waba, assignments: new Map() });
    return this;
  }

  /** Puts a user on a WABA directly, as if done in Business Manager. */
  assign(wabaId: string, userId: string, tasks: string[]): this {
    this.requireWaba(wabaId).assignments.set(userId, [...tasks]);
    return this;
  }

  /** Takes a user off a WABA directly, as if done in Business Manager. Returns whether they were on it. */
  unassign(wabaId: string, userId: string): boolean {
    return this.requireWaba(wabaId).assignments.delete(userId);
  }

  tasksOf(wabaId: string, userId: string): string[] | undefined {
    return this.requireWaba(wabaId).assignments.get(userId);
  }

  /** Queues faults; each is used by one matching call, in order. */
  queueFault(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** POST and DELETE calls that changed state. */
  writes(): RecordedCall[] {
    return this.calls.filter((call) => call.method !== 'GET' && call.status === 200);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: { message: String(error), type: 'FakeGraph', code: 2 } }));
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private requireWaba(id: string): FakeWaba {
    const waba = this.wabas.get(id);
    if (!waba) throw new Error(`fake graph has no WABA ${id}`);
    return waba;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Latency is time from arrival to answer, the fake's own work included, as a remote server's would be.
    const arrived = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const form = Object.fromEntries(new URLSearchParams(raw));
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedCall = {
      method,
      path: url.pathname,
      query,
      form,
      headers: req.headers,
      status: 0,
      response: undefined,
      remotePort: req.socket.remotePort,
      arrivedAt: arrived,
    };
    this.calls.push(record);

    const faultIndex = this.faults.findIndex((fault) => !fault.match || fault.match({ method, path: url.pathname }));
    const fault =
      faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0] : this.faultPlan?.({ method, path: url.pathname });
    const answer: [number, unknown] | undefined = fault?.reset
      ? undefined
      : fault?.status !== undefined
        ? [fault.status, fault.body ?? graphError(2, 'Fake fault')]
        : this.route(method, url, query, form, req);
    const payload = answer && JSON.stringify(answer[1]);
    await waitUntil(arrived + this.latencyMs + (fault?.delayMs ?? 0));
    record.answeredAt = performance.now();
    if (!answer) {
      record.status = -1;
      req.socket.destroy();
    } else {
      const [status, body] = answer;
      record.status = status;
      record.response = body;
      res.writeHead(status, { 'content-type': 'application/json', ...this.extraHeaders, ...fault?.headers });
      res.end(payload);
    }
    this.onAnswered?.(record);
  }

  private route(
    method: string,
    url: URL,
    query: Record<string, string>,
    form: Record<string, string>,
    req: IncomingMessage,
  ): [number, unknown] {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${this.options.accessToken}`) {
      return [401, graphError(190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException', 467)];
    }
    if (query.access_token) return [400, graphError(100, 'Tokens must not travel in the URL (fake check)')];
    if (this.options.appSecret) {
      const proof = createHmac('sha256', this.options.appSecret).update(this.options.accessToken).digest('hex');
      if (query.appsecret_proof !== proof) {
        return [400, graphError(100, 'Invalid appsecret_proof provided in the API argument', 'GraphMethodException')];
      }
    }

    const match = /^\/(v[0-9]+\.[0-9]+)\/([0-9]+)\/(assigned_users|assigned_whatsapp_business_accounts)$/.exec(
      url.pathname,
    );
    if (!match) return [400, graphError(100, `Unknown path components: ${url.pathname}`)];
    const [, , id, edge] = match as unknown as [string, string, string, string];
    const params = { ...query, ...form };

    if (edge === 'assigned_whatsapp_business_accounts') {
      if (method !== 'GET') return [400, graphError(100, 'Unsupported method')];
      if (!this.users.has(id)) return [400, objectMissing(id)];
      const accounts = [...this.wabas.values()]
        .filter((waba) => waba.assignments.has(id))
        .map((waba) => ({
          id: waba.id,
          name: waba.name,
          status: 'ACTIVE',
          business_id: waba.businessId,
          permissions: waba.assignments.get(id),
        }));
      return [200, this.page(url, accounts, accounts.length, query, (account) => account)];
    }

    const waba = this.wabas.get(id);
    if (!waba) return [400, objectMissing(id)];
    if (method === 'GET') {
      if (!query.business) return [400, graphError(100, 'The parameter business is required')];
      if (query.business !== waba.businessId) return [403, graphError(200, 'Business has no access to this WABA')];
      const toUser = ([userId, tasks]: [string, string[]]) => {
        const user = this.users.get(userId);
        return {
          id: userId,
          name: user?.name ?? userId,
          user_type: user?.user_type ?? 'BUSINESS_USER',
          business: { id: waba.businessId, name: 'Fake Business' },
          tasks,
        };
      };
      const page = this.page(url, waba.assignments.entries(), waba.assignments.size, query, toUser);
      return [200, { ...page, summary: { total_count: waba.assignments.size } }];
    }

    const userId = params.user;
    if (!userId || !/^[0-9]+$/.test(userId)) return [400, graphError(100, 'Param user must be a valid user id')];
    if (!this.users.has(userId)) return [400, objectMissing(userId)];
    if (method === 'POST') {
      let tasks: unknown;
      try {
        tasks = JSON.parse(params.tasks ?? '');
      } catch {
        return [400, graphError(100, 'Param tasks must be an array')];
      }
      if (!Array.isArray(tasks) || tasks.length < 1 || tasks.length > 16) {
        return [400, graphError(100, 'Param tasks must be an array of 1 to 16 tasks')];
      }
      const bad = tasks.find((task) => typeof task !== 'string' || !TASK_SET.has(task));
      if (bad !== undefined) return [400, graphError(100, `Param tasks[0] must be one of {${TASKS.join(', ')}}`)];
      waba.assignments.set(userId, tasks as string[]);
      return [200, { success: true }];
    }
    if (method === 'DELETE') {
      if (!waba.assignments.delete(userId))
        return [400, graphError(100, 'The user is not assigned to this account', 'OAuthException', 33)];
      return [200, { success: true }];
    }
    return [400, graphError(100, 'Unsupported method')];
  }

  /** One page of `items` (of which there are `size`), shaped by `shape`; only the page's items are touched. */
  private page<T, U>(
    url: URL,
    items: Iterable<T>,
    size: number,
    query: Record<string, string>,
    shape: (item: T) => U,
  ): { data: U[]; paging?: object } {
    const limit = Math.min(Math.max(Number(query.limit ?? 25) || 25, 1), 100);
    const offset = query.after ? decodeCursor(query.after) : 0;
    const data = pageOf(items[Symbol.iterator](), offset, limit).map(shape);
    const end = offset + data.length;
    if (size === 0) return { data };
    const cursors = { before: encodeCursor(offset), after: encodeCursor(end) };
    if (end >= size) return { data, paging: { cursors } };
    // Like Graph, `next` embeds the token when the caller's URL did; ours never does, so use a marker value.
    const next = new URL(url.pathname, this.baseUrl);
    for (const [key, value] of Object.entries(query)) if (key !== 'after') next.searchParams.set(key, value);
    next.searchParams.set('access_token', 'TOKEN_FROM_NEXT_URL');
    next.searchParams.set('after', cursors.after);
    return { data, paging: { cursors, next: next.toString() } };
  }
}

export function graphError(
  code: number,
  message: string,
  type = 'OAuthException',
  subcode?: number,
  extra: object = {},
) {
  return {
    error: {
      message,
      type,
      code,
      ...(subcode === undefined ? {} : { error_subcode: subcode }),
      fbtrace_id: `Fake${code}Trace`,
      ...extra,
    },
  };
}

function objectMissing(id: string) {
  return graphError(
    100,
    `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    'GraphMethodException',
    33,
  );
}

/** Items `offset` to `offset + limit` of an iterator, without copying the rest. */
function pageOf<T>(items: Iterator<T>, offset: number, limit: number): T[] {
  const page: T[] = [];
  let index = 0;
  for (let next = items.next(); !next.done && page.length < limit; next = items.next(), index++) {
    if (index >= offset) page.push(next.value);
  }
  return page;
}

/**
 * Waits until a moment on the performance clock. Timers fire up to a millisecond or two late, which would add to
 * every simulated latency; the last stretch is covered by yielding to the event loop instead.
 */
async function waitUntil(deadline: number): Promise<void> {
  const coarse = Math.floor(deadline - performance.now()) - 1;
  if (coarse > 0) await sleep(coarse);
  while (performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
}

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : 0;
}

/** A fake with one WABA and `count` users, ids from 100000000000001 upward. */
export function seededGraph(
  options: FakeGraphOptions & { wabaId: string; businessId: string; userCount: number },
): FakeGraph {
  const graph = new FakeGraph(options).addWaba({
    id: options.wabaId,
    name: 'Demo WABA',
    businessId: options.businessId,
  });
  for (let i = 1; i <= options.userCount; i++) {
    const id = String(100_000_000_000_000 + i);
    graph.addUser({ id, name: `User ${i}`, user_type: i % 10 === 0 ? 'SYSTEM_USER' : 'BUSINESS_USER' });
    graph.assign(options.wabaId, id, i % 2 === 0 ? ['MESSAGING'] : ['MANAGE', 'VIEW_TEMPLATES']);
  }
  return graph;
}
