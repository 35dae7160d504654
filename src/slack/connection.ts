import type { AuthorizeResult, webApi } from '@slack/bolt';
import type { Logger } from '../logger.js';

/** Waits between attempts to reach Slack: doubling from the first to the last, with jitter. */
export interface Backoff {
  firstMs: number;
  maxMs: number;
}

/** Half a second at first, then up to 15 s: a short outage is bridged quickly, a long one is not hammered. */
export const SLACK_BACKOFF: Backoff = { firstMs: 500, maxMs: 15_000 };

/** The wait before attempt `attempt` (1-based), ±20 % so replicas do not retry in step. */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  const base = Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Who the bot is in Slack, learned with `auth.test`. Bolt would call it once at construction and leave its rejection
 * unhandled (ending the process) when Slack is unreachable; here it is retried with backoff in the background, and
 * requests are authorized with the bot token meanwhile (only the bot's own user and bot ids are missing until then).
 */
export class SlackConnection {
  private identity?: { botUserId?: string; botId?: string };
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private attempts = 0;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly botToken: string,
    private readonly logger: Logger,
    private readonly backoff: Backoff = SLACK_BACKOFF,
  ) {}

  /** Whether `auth.test` has succeeded: Slack is reachable and accepts the token. */
  get ready(): boolean {
    return this.identity !== undefined;
  }

  /** Starts trying; resolves once the first attempt is over (whether Slack answered), and never rejects. */
  start(): Promise<boolean> {
    return this.attempt().then(() => this.ready);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Bolt's `authorize`: the bot token always, the bot's ids once known. */
  readonly authorize = async (): Promise<AuthorizeResult> => ({ botToken: this.botToken, ...this.identity });

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.attempts += 1;
    try {
      const result = await this.client.auth.test({ token: this.botToken });
      this.identity = {
        ...(result.user_id ? { botUserId: result.user_id } : {}),
        ...(result.bot_id ? { botId: result.bot_id } : {}),
      };
      this.logger.info({ botUserId: result.user_id, team: result.team_id, attempts: this.attempts }, 'Slack reached');
    } catch (error) {
      if (this.stopped) return;
      const delayMs = backoffDelay(this.backoff, this.attempts);
      const code = (error as { code?: string; data?: { error?: string } }).data?.error;
      // An answer from Slack (e.g. invalid_auth) is a configuration problem, not an outage: say so.
      const message = code
        ? `Slack refused auth.test (${code}); check SLACK_BOT_TOKEN. Retrying in ${Math.round(delayMs / 1000)} s`
        : `Slack unreachable, retrying in ${(delayMs / 1000).toFixed(1)} s`;
      this.logger.warn({ err: error, attempt: this.attempts, delayMs }, message);
      this.timer = setTimeout(() => void this.attempt(), delayMs);
      this.timer.unref();
    }
  }
}
