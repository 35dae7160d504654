import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher, request } from 'undici';
import type { z } from 'zod';
import { GraphError, GraphInputError } from './errors.js';
import { DEFAULT_RETRY_POLICY, decideRetry, parseRetryAfter, type RetryPolicy } from './retry.js';
import { graphErrorBodySchema } from './schemas.js';
import { type BudgetState, parseUsageHeaders, UsageTracker } from './usage.js';

/**
 * The largest answer read from Graph. A page of 100 users is a few tens of kilobytes; anything near this is not an
 * answer the bot can use, and reading it whole would spend the bot's small heap (a proxy or endpoint gone wrong).
 */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** The smallest logger the client needs; pino's fits. */
export interface GraphLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** One request sent to Graph (each retry is one), as monitoring sees it: nothing about whom it concerned. */
export interface GraphCallRecord {
  method: 'GET' | 'POST' | 'DELETE';
  /** The edge called, e.g. `assigned_users`. */
  edge: string;
  /**
   * How it ended: `none` (success), Meta's numeric error code, `http_<status>` for an error without Meta's body,
   * `network` when Graph could not be reached, `unparsed` for a success body of an unknown shape.
   */
  errorCode: string;
  seconds: number;
}

export interface GraphClientOptions {
  baseUrl?: string;
  version?: string;
  accessToken: string;
  /** When set, every call carries `appsecret_proof`. */
  appSecret?: string;
  /** Per-attempt limit on waiting for headers and for body data. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** How long to hold calls when usage is high but Meta gives no estimate (default one minute). */
  usageHoldMs?: number;
  dispatcher?: Dispatcher;
  logger?: GraphLogger;
  /** Told of every request sent to Graph, for monitoring; must not throw. */
  observe?: (call: GraphCallRecord) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<unknown>;
  random?: () => number;
}

export const DEFAULT_BASE_URL = 'https://graph.facebook.com';
export const DEFAULT_VERSION = 'v23.0';

/** How a Graph API version is written, e.g. `v23.0`. */
export const GRAPH_VERSION = /^v[0-9]+\.[0-9]+$/;

type Method = 'GET' | 'POST' | 'DELETE';

export interface CallSpec {
  method: Method;
  /** Path below the version, e.g. `123/assigned_users`. */
  path: string;
  query?: URLSearchParams;
  form?: URLSearchParams;
  /** The object the call is about; usage holds are tracked per scope. */
  scope: string;
}

/**
 * How one call reaches Graph: the token and its proof, usage holds, retries within bounds, one undici request per
 * attempt, and the answer checked against its schema. Knows no edge; the client (client.ts) says what to call.
 */
export class GraphTransport {
  private readonly base: URL;
  private readonly version: string;
  private readonly authorization: string;
  private readonly appSecretProof?: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly policy: RetryPolicy;
  private readonly usage: UsageTracker;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<unknown>;
  private readonly random: () => number;
  private readonly logger?: GraphLogger;
  private readonly observe?: (call: GraphCallRecord) => void;
  /** Calls sent to Graph, retries included. */
  callCount = 0;

  constructor(options: GraphClientOptions) {
    this.base = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    this.version = options.version ?? DEFAULT_VERSION;
    if (!GRAPH_VERSION.test(this.version))
      throw new GraphInputError(`Graph API version must look like v23.0, got "${this.version}".`);
    if (!options.accessToken) throw new GraphInputError('A Meta access token is required.');
    this.authorization = `Bearer ${options.accessToken}`;
    if (options.appSecret) {
      this.appSecretProof = createHmac('sha256', options.appSecret).update(options.accessToken).digest('hex');
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        keepAliveTimeout: 30_000,
        connections: 32,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        maxResponseSize: MAX_RESPONSE_BYTES,
      });
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.usage = new UsageTracker(options.usageHoldMs);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
    this.observe = options.observe;
  }

  /**
   * Meta's last usage readings for calls about `scope` (a WABA id) and for the app, and until when new calls about it
   * are held. Kept in memory by this process only.
   */
  budget(scope: string): BudgetState {
    return this.usage.budget(scope, this.now());
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** Sends one call, holding it while the scope's usage is high and retrying what the policy allows. */
  async call<S extends z.ZodType>(spec: CallSpec, schema: S): Promise<z.infer<S>> {
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      await this.waitForBudget(spec.scope, started);
      let failure: GraphError;
      let serverWaitMs: number | undefined;
      try {
        return await this.attempt(spec, schema, attempt);
      } catch (error) {
        if (!(error instanceof GraphAttemptError)) throw error;
        failure = error.graphError;
        serverWaitMs = error.serverWaitMs;
      }
      if (failure.category === 'throttled') {
        this.usage.holdScope(spec.scope, this.now() + (serverWaitMs ?? this.policy.baseDelayMs));
      }
      const decision = decideRetry(
        failure,
        attempt,
        this.now() - started,
        this.policy,
        serverWaitMs,
        this.now(),
        this.random,
      );
      if (!decision.retry) throw decision.error;
      this.logger?.warn(
        { method: spec.method, path: spec.path, attempt, code: failure.code, delayMs: decision.delayMs },
        'graph call failed; retrying',
      );
      await this.sleep(decision.delayMs);
    }
  }

  /** Holds a call while this scope's usage is at or above the threshold, failing fast when the hold is too long. */
  private async waitForBudget(scope: string, started: number): Promise<void> {
    const now = this.now();
    const until = this.usage.heldUntil(scope, now);
    if (until === 0) return;
    if (until - started > this.policy.maxTotalMs) {
      throw new GraphError({
        // When calls resume is in `retryAt`, for each surface to show in its own way (Slack: the reader's time zone).
        message: "Meta's rate limit for this account is nearly used up.",
        category: 'throttled',
        retryAt: new Date(until),
      });
    }
    this.logger?.warn({ scope, waitMs: until - now }, 'graph usage high; holding call');
    await this.sleep(until - now);
  }

  private async attempt<S extends z.ZodType>(spec: CallSpec, schema: S, attempt: number): Promise<z.infer<S>> {
    const url = new URL(`/${this.version}/${spec.path}`, this.base);
    const query = new URLSearchParams(spec.query);
    if (this.appSecretProof) query.set('appsecret_proof', this.appSecretProof);
    url.search = query.toString();

    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    if (spec.form) headers['content-type'] = 'application/x-www-form-urlencoded';

    const sentAt = this.now();
    this.callCount++;
    let status: number;
    let text: string;
    let responseHeaders: Record<string, string | string[] | undefined>;
    try {
      const response = await request(url, {
        method: spec.method,
        headers,
        body: spec.form?.toString(),
        dispatcher: this.dispatcher,
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (error) {
      this.record(spec, 'network', sentAt);
      // Only the error code leaves this function: undici errors never carry the URL, and neither do we.
      const reason = (error as { code?: string }).code ?? (error as Error).name;
      throw new GraphAttemptError(
        new GraphError({ message: `Could not reach the Graph API (${reason}).`, category: 'transient', cause: reason }),
      );
    }
    const now = this.now();
    this.usage.record(spec.scope, parseUsageHeaders(responseHeaders), now);
    this.logger?.debug({ method: spec.method, path: spec.path, status, attempt, ms: now - sentAt }, 'graph call');

    const json = parseJson(text);
    const errorBody = graphErrorBodySchema.safeParse(json);
    if (status >= 200 && status < 300 && !errorBody.success) {
      const parsed = schema.safeParse(json);
      this.record(spec, parsed.success ? 'none' : 'unparsed', sentAt);
      if (parsed.success) return parsed.data;
      throw new GraphError({
        message: `The Graph API answered in a shape we do not understand: ${parsed.error.issues[0]?.message ?? 'not JSON'}.`,
        category: 'unknown',
        status,
      });
    }
    const error = errorBody.success ? GraphError.fromBody(errorBody.data.error, status) : statusError(status);
    this.record(spec, error.code === undefined ? `http_${status}` : String(error.code), sentAt);
    const serverWaitMs = serverWait(responseHeaders, now);
    throw new GraphAttemptError(error, serverWaitMs);
  }

  private record(spec: CallSpec, errorCode: string, sentAt: number): void {
    if (!this.observe) return;
    const edge = spec.path.slice(spec.path.lastIndexOf('/') + 1);
    this.observe({ method: spec.method, edge, errorCode, seconds: (this.now() - sentAt) / 1000 });
  }
}

/** A failed attempt, before the retry policy has had its say. */
class GraphAttemptError extends Error {
  constructor(
    readonly graphError: GraphError,
    readonly serverWaitMs?: number,
  ) {
    super(graphError.message);
  }
}

function statusError(status: number): GraphError {
  if (status === 429)
    return new GraphError({ message: 'The Graph API is rate limiting us (HTTP 429).', category: 'throttled', status });
  if (status >= 500)
    return new GraphError({ message: `The Graph API failed (HTTP ${status}).`, category: 'transient', status });
  return new GraphError({
    message: `The Graph API answered HTTP ${status} without an error body.`,
    category: 'unknown',
    status,
  });
}

/** The longest wait the server asked for: `Retry-After`, or Meta's regain estimate. */
function serverWait(headers: Record<string, string | string[] | undefined>, now: number): number | undefined {
  const retryAfter = headers['retry-after'];
  const waits = [parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, now)];
  for (const reading of parseUsageHeaders(headers)) if (reading.regainAfterMs > 0) waits.push(reading.regainAfterMs);
  const known = waits.filter((wait): wait is number => wait !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
