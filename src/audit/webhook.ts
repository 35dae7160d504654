import { createHash, createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { type HeldLock, LockBusyError, type Locker } from '../access/ports.js';
import type { StoredLine } from './chain.js';
import { type AuditState, type AuditTrail, sortedChains } from './trail.js';

/** The headers a receiver reads. */
export const WEBHOOK_HEADERS = {
  signature: 'x-waba-audit-signature',
  timestamp: 'x-waba-audit-timestamp',
  id: 'x-waba-audit-id',
  idempotencyKey: 'idempotency-key',
} as const;

/** A body larger than this cannot be an entry the bot wrote (its fields are cut at 2,000 characters). */
export const MAX_BODY_BYTES = 256 * 1024;
/** The most of a receiver's answer that is read (and thrown away). */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** Only one process delivers at a time, replicas included. */
const LOCK_KEY = 'audit-webhook';
/** Entries read from the store at a time. */
const BATCH = 100;

export interface WebhookLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AuditWebhookOptions {
  url: string;
  secret: string;
  trail: AuditTrail;
  /** Where the cursor (the last entry delivered, per chain) and the retry schedule are kept. */
  state: AuditState;
  locker: Locker;
  logger?: WebhookLogger;
  /** How often it looks for new entries. */
  pollMs?: number;
  /** The first wait after a failed delivery; each further failure doubles it, up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** How long one delivery may take, connection included. */
  timeoutMs?: number;
  now?: () => number;
}

/** What is kept about failures: how many in a row, and when to try again. */
interface RetryState {
  failures: number;
  nextAt: number;
}

/** The signature of a body sent at `timestamp` (seconds): `sha256=` and the hex HMAC-SHA256 of `{timestamp}.{body}`. */
export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * Sends every audit entry to AUDIT_WEBHOOK_URL, one POST each, in order within each chain. The outbox is the trail
 * itself: a cursor per chain, kept in the store, says which entry was delivered last, and moves only after the
 * receiver answered 2xx. A receiver that is down, slow or failing is tried again with exponential backoff (kept in
 * the store too, so replicas and restarts honour it), and nothing is skipped: once it answers, it gets every entry
 * it missed, each once. One process delivers at a time (a store lock); stopping waits for the POST under way.
 */
export class AuditWebhook {
  private readonly agent: Agent;
  private readonly keyPrefix: string;
  private readonly pollMs: number;
  private readonly minRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private stopped = false;
  private readonly wake = new AbortController();
  private loop?: Promise<void>;

  constructor(private readonly options: AuditWebhookOptions) {
    this.pollMs = options.pollMs ?? 1_000;
    this.minRetryMs = options.minRetryMs ?? 1_000;
    this.maxRetryMs = options.maxRetryMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.agent = new Agent({
      connect: { timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: 30_000,
      connections: 1,
    });
    // A new address starts from the first entry: a receiver that never got anything gets everything.
    this.keyPrefix = `webhook:${createHash('sha256').update(options.url).digest('hex').slice(0, 16)}`;
  }

  /** Starts delivering in the background; errors are logged, never thrown. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops after the delivery under way (whose cursor is then saved); closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.abort();
    await this.loop;
    await this.agent.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let delay = this.pollMs;
      try {
        delay = await this.round();
      } catch (error) {
        this.options.logger?.error({ err: error }, 'audit webhook: could not read the trail; trying again');
      }
      if (this.stopped) return;
      await sleep(delay, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }

  /** One turn, if no other process is delivering: sends what is new. Returns how long to wait before the next. */
  private async round(): Promise<number> {
    try {
      return await this.options.locker.withLock(LOCK_KEY, (lock) => this.deliver(lock), { waitMs: 0 });
    } catch (error) {
      if (error instanceof LockBusyError) return this.pollMs;
      throw error;
    }
  }

  private async deliver(lock: HeldLock): Promise<number> {
    const { trail, state } = this.options;
    let retry = (await state.get(`${this.keyPrefix}:retry`)) as RetryState | null | undefined;
    if (retry && this.now() < retry.nextAt) return Math.min(retry.nextAt - this.now(), this.pollMs);
    for (const chain of await sortedChains(trail)) {
      const head = await trail.head(chain);
      let cursor = Number((await state.get(this.cursorKey(chain))) ?? 0);
      while (head && cursor < head.seq) {
        const lines = await trail.lines(chain, cursor, BATCH);
        if (lines.length === 0) break;
        for (const line of lines) {
          if (this.stopped || lock.signal.aborted) return this.pollMs;
          const failure = await this.post(chain, line);
          if (failure) return this.failed(retry, `${chain}:${line.seq}`, failure);
          cursor = line.seq;
          await state.set(this.cursorKey(chain), cursor);
          if (retry) {
            this.options.logger?.info({ after: retry.failures }, 'audit webhook: the receiver answers again');
            await state.set(`${this.keyPrefix}:retry`, null);
            retry = undefined;
          }
        }
      }
    }
    return this.pollMs;
  }

  /** Records a failure and says when to try again: doubling from `minRetryMs` up to `maxRetryMs`, jittered. */
  private async failed(retry: RetryState | null | undefined, entryId: string, why: string): Promise<number> {
    const failures = (retry?.failures ?? 0) + 1;
    const base = Math.min(this.maxRetryMs, this.minRetryMs * 2 ** Math.min(failures - 1, 30));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    await this.options.state.set(`${this.keyPrefix}:retry`, { failures, nextAt: this.now() + delay });
    this.options.logger?.warn(
      { entry: entryId, failures, retryInMs: delay, receiver: new URL(this.options.url).host, why },
      'audit webhook: the receiver did not take the entry; trying again later',
    );
    return Math.min(delay, this.pollMs);
  }

  /** POSTs one entry; undefined when the receiver took it (2xx), otherwise why not. */
  private async post(chain: string, line: StoredLine): Promise<string | undefined> {
    const id = `${chain}:${line.seq}`;
    const body =
      Buffer.byteLength(line.text) > MAX_BODY_BYTES
        ? JSON.stringify({ chain, seq: line.seq, oversize: Buffer.byteLength(line.text) })
        : line.text;
    const timestamp = String(Math.floor(this.now() / 1000));
    try {
      const response = await request(this.options.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'waba-access',
          [WEBHOOK_HEADERS.signature]: signatureOf(this.options.secret, timestamp, body),
          [WEBHOOK_HEADERS.timestamp]: timestamp,
          [WEBHOOK_HEADERS.id]: id,
          [WEBHOOK_HEADERS.idempotencyKey]: id,
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => undefined);
      return response.statusCode >= 200 && response.statusCode < 300 ? undefined : `HTTP ${response.statusCode}`;
    } catch (error) {
      // undici's errors carry a string code (ECONNREFUSED, UND_ERR_…); a timeout is a DOMException named TimeoutError.
      const { code, name } = error as { code?: unknown; name?: unknown };
      return typeof code === 'string' ? code : typeof name === 'string' ? name : 'error';
    }
  }

  private cursorKey(chain: string): string {
    return `${this.keyPrefix}:cursor:${chain}`;
  }
}
