import { SLACK_USER_ID } from './ids.js';

/** What the Home refresh logs when a publish fails. */
export interface HomeRefreshLogger {
  warn(obj: object, msg: string): void;
}

/** Reads what a batch of people's Home tabs show (once for all), then publishes one person's Home at a time. */
export type PrepareHomes = (userIds: string[]) => Promise<(userId: string) => Promise<void>>;

/** How long changes gather before the Home tabs they touch are published again. */
const DEFAULT_DELAY_MS = 1_000;

/**
 * Keeps Home tabs current: Slack never redraws one by itself, so when a request or grant changes, the Home tabs of
 * the people it concerns are published again. Changes gather for a moment first, so a burst publishes each person's
 * Home once, not once per change, from one read of what they share; publishes run one at a time, and a failed one is
 * logged and skipped.
 */
export class HomeRefresh {
  private readonly due = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly prepare: PrepareHomes,
    private readonly logger?: HomeRefreshLogger,
    private readonly delayMs = DEFAULT_DELAY_MS,
  ) {}

  /** Marks these people's Home tabs stale; they are published once the burst has gathered. Ids of no person are skipped. */
  touch(userIds: Iterable<string | undefined>): void {
    if (this.stopped) return;
    for (const id of userIds) if (id && SLACK_USER_ID.test(id)) this.due.add(id);
    if (this.due.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const people = [...this.due];
      this.due.clear();
      this.running = this.running.then(() => this.publishAll(people));
    }, this.delayMs);
    this.timer.unref();
  }

  /** Resolves once every publish due so far has been tried (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.timer || this.due.size > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs / 4));
    await this.running;
  }

  /** Publishes nothing more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due.clear();
  }

  private async publishAll(people: string[]): Promise<void> {
    let publish: (userId: string) => Promise<void>;
    try {
      publish = await this.prepare(people);
    } catch (error) {
      this.logger?.warn({ err: error, people: people.length }, 'could not read what the Home tabs show');
      return;
    }
    for (const userId of people) {
      if (this.stopped) return;
      try {
        await publish(userId);
      } catch (error) {
        this.logger?.warn({ err: error, userId }, 'could not publish the Home tab again');
      }
    }
  }
}
