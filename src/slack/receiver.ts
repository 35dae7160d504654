import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../logger.js';

/** Slack gives up on an answer after 3 seconds; a request nobody acknowledged by then is answered for them. */
const ACK_DEADLINE_MS = 3_000;

/** A Slack request the HTTP server has already verified (signature on the raw bytes) and parsed, once. */
export interface VerifiedSlackRequest {
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

/**
 * Hands verified Slack requests to Bolt. Bolt's own HTTPReceiver would read, verify and parse every body again and
 * start a timer per request; the HTTP server in front of it (src/http/server.ts) has done the first three, so this
 * receiver only answers Slack's two handshakes, builds Bolt's event with an `ack` that answers at once, and answers
 * requests nobody acknowledged in time. Listeners see exactly what Bolt's receiver would give them.
 */
export class VerifiedRequestReceiver implements Receiver {
  private app?: App;
  /**
   * Requests not acknowledged yet: when each arrived, and whom to tell once it is answered. One sweep answers the
   * late ones, rather than a timer each.
   */
  private readonly waiting = new Map<ServerResponse, { at: number; answered: () => void }>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    this.sweeper ??= setInterval(() => this.answerLate(), 1_000);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /**
   * Serves one verified request, calling `answered` once it has answered; never throws (failures are answered and
   * logged).
   */
  handle({ body, headers }: VerifiedSlackRequest, res: ServerResponse, answered: () => void = () => {}): void {
    this.waiting.set(res, { at: this.now(), answered });
    // Slack checks the certificate with `ssl_check=1`, and the events URL with a challenge to echo.
    if (body.ssl_check === '1') {
      this.answer(res, 200);
      return;
    }
    if (body.type === 'url_verification') {
      this.answer(res, 200, { challenge: body.challenge });
      return;
    }
    const app = this.app;
    if (!app) {
      this.answer(res, 503);
      return;
    }
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => this.answer(res, 200, response),
      ...retryOf(headers),
      customProperties: {},
    };
    app.processEvent(event).then(
      // Every listener has returned and none acknowledged: nothing will (an action nobody listens to).
      () => this.answer(res, 404),
      (error: unknown) => {
        this.logger.error({ err: error }, 'a Slack listener failed');
        this.answer(res, 500);
      },
    );
  }

  /** Answers a request once (later answers are ignored): empty, text as it is, or JSON, as Bolt's receiver does. */
  private answer(res: ServerResponse, status: number, response?: unknown): void {
    const waiting = this.waiting.get(res);
    if (!waiting) return;
    this.waiting.delete(res);
    if (!res.headersSent && !res.destroyed) {
      if (!response) res.writeHead(status).end();
      else if (typeof response === 'string') res.writeHead(status).end(response);
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(response));
    }
    waiting.answered();
  }

  /** Answers requests still unacknowledged past Slack's deadline, so no connection waits on a listener forever. */
  private answerLate(): void {
    const late = this.now() - ACK_DEADLINE_MS;
    for (const [res, { at }] of this.waiting) {
      if (at > late) continue;
      if (!res.destroyed) this.logger.warn({}, 'a Slack request was not acknowledged within 3 seconds');
      this.answer(res, 404);
    }
  }
}

/** Slack's retry headers, for listeners that tell a retried event from a new one. */
function retryOf(headers: IncomingHttpHeaders): { retryNum?: number; retryReason?: string } {
  const num = first(headers['x-slack-retry-num']);
  const reason = first(headers['x-slack-retry-reason']);
  const retryNum = num === undefined ? Number.NaN : Number.parseInt(num, 10);
  return {
    ...(Number.isFinite(retryNum) ? { retryNum } : {}),
    ...(reason === undefined ? {} : { retryReason: reason }),
  };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
