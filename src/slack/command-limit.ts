/** The window the per-person limit counts commands in. */
export const COMMAND_WINDOW_MS = 60_000;

export type CommandVerdict = { ok: true } | { ok: false; limit: number; retryInMs: number };

/**
 * How many commands that cost Graph calls each person may send in a minute (a sliding window). Refused commands are
 * not counted, so someone who keeps trying is let through as soon as their oldest command is a minute old.
 * Kept in memory by each process: with replicas, each one counts on its own.
 */
export class CommandLimit {
  private readonly sent = new Map<string, number[]>();
  private sweptAt: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweptAt = now();
  }

  /** Counts one command by `userId`, or says how long they must wait when they have sent `perMinute` already. */
  take(userId: string): CommandVerdict {
    const now = this.now();
    this.sweep(now);
    let recent = this.sent.get(userId);
    if (!recent) {
      recent = [];
      this.sent.set(userId, recent);
    }
    // Times are kept oldest first, so those out of the window are at the front: constant time per command.
    let expired = 0;
    while (expired < recent.length && recent[expired]! <= now - COMMAND_WINDOW_MS) expired++;
    if (expired > 0) recent.splice(0, expired);
    if (recent.length >= this.perMinute) {
      return { ok: false, limit: this.perMinute, retryInMs: recent[0]! + COMMAND_WINDOW_MS - now };
    }
    recent.push(now);
    return { ok: true };
  }

  /** People counted, for tests of the memory bound. */
  get size(): number {
    return this.sent.size;
  }

  /** Forgets people whose last command is over a minute old, once a minute, so the map holds only the active. */
  private sweep(now: number): void {
    if (now - this.sweptAt < COMMAND_WINDOW_MS) return;
    this.sweptAt = now;
    for (const [userId, times] of this.sent) {
      if (times[times.length - 1]! <= now - COMMAND_WINDOW_MS) this.sent.delete(userId);
    }
  }
}
