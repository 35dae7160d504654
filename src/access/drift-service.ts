import { randomBytes } from 'node:crypto';
import type { Account } from './accounts.js';
import type { DriftAuditEntry, DriftDigest } from './drift.js';
import { systemClock } from './ports.js';
import {
  actOnRow,
  type DriftAction,
  type DriftActionResult,
  type RowRef,
  rowVerdict,
  showPage,
} from './use-cases/drift-actions.js';
import { type CheckOutcome, checkWaba, postUnposted } from './use-cases/drift-check.js';
import type { DriftContext, DriftDeps } from './use-cases/drift-context.js';
import { historyOf, type PersonHistory, type WhoResult, whoOn } from './use-cases/history.js';
import { Interest } from './use-cases/interest.js';
import { RequestWriter } from './use-cases/request-writer.js';

export type { DriftAction, DriftActionResult, RowRef } from './use-cases/drift-actions.js';
export type { CheckOutcome } from './use-cases/drift-check.js';
export type { DriftDeps } from './use-cases/drift-context.js';
export type { PersonHistory, WhoResult } from './use-cases/history.js';

/** How often the background loop looks whether a check is due: a tenth of the interval, within these bounds. */
const MIN_TICK_MS = 100;
const MAX_TICK_MS = 60_000;

/**
 * Drift and history's front door: the periodic check of every account's roster, the actions on a digest's rows, and
 * the history queries. Knows nothing of Slack; returns typed outcomes.
 */
export class DriftService {
  private readonly ctx: DriftContext;
  private readonly inFlight = new Set<Promise<unknown>>();
  private ticking?: Promise<void>;

  constructor(deps: DriftDeps) {
    const clock = deps.clock ?? systemClock;
    this.ctx = {
      deps,
      clock,
      writer: new RequestWriter(deps.repository, deps.locker, clock, deps.logger),
      interest: new Interest(deps.identities),
      newId: deps.newId ?? (() => randomBytes(5).toString('hex')),
    };
  }

  /** Whether checks run (`DRIFT_CHECK_EVERY` is not `off`). */
  get enabled(): boolean {
    return this.ctx.deps.intervalMs !== undefined;
  }

  /** Checks every account whose check is due (once across replicas), then posts digests left unposted. */
  async checkDue(): Promise<CheckOutcome[]> {
    const outcomes: CheckOutcome[] = [];
    for (const account of this.ctx.deps.accounts.list()) {
      try {
        outcomes.push(await this.track(checkWaba(this.ctx, account)));
      } catch (error) {
        this.ctx.deps.logger?.error({ err: error, wabaId: account.policy.wabaId }, 'drift check failed');
      }
    }
    await this.track(postUnposted(this.ctx));
    return outcomes;
  }

  /** Checks one account now, whatever its schedule (still once at a time, and not while Meta's usage is high). */
  checkNow(account: Account): Promise<CheckOutcome> {
    return this.track(checkWaba(this.ctx, account, true));
  }

  /** Whether `actorId` may act on a digest row, without changing anything (a form opens first). */
  verdict(ref: RowRef, actorId: string, action: DriftAction) {
    return rowVerdict(this.ctx, ref, actorId, action);
  }

  /** Accept, Revert or Make temporary one row; exactly one of any number of clicks acts. */
  act(
    ref: RowRef,
    actorId: string,
    action: DriftAction,
    options: { durationMs?: number; channelId?: string } = {},
  ): Promise<DriftActionResult> {
    return this.track(actOnRow(this.ctx, ref, actorId, action, options));
  }

  /** Shows another page of a digest in one of its messages. */
  showPage(digestId: string, message: { channel: string; ts: string }, page: number): Promise<DriftDigest | undefined> {
    return this.track(showPage(this.ctx, digestId, message, page));
  }

  /** What a person held on an account and when it changed. */
  historyOf(account: Account, userId: string): Promise<PersonHistory> {
    return historyOf(this.ctx, account, userId);
  }

  /** Who had access to an account on a day (UTC, `YYYY-MM-DD`). */
  whoOn(account: Account, day: string): Promise<WhoResult> {
    return whoOn(this.ctx, account, day);
  }

  /** The bot's clock: `today` and `yesterday` in `/waba who` count from it. */
  now(): Date {
    return this.ctx.clock.now();
  }

  digest(id: string): Promise<DriftDigest | undefined> {
    return this.ctx.deps.store.digest(id);
  }

  digestAudit(id: string): Promise<DriftAuditEntry[]> {
    return this.ctx.deps.store.digestAudit(id);
  }

  /**
   * Starts looking for due checks every tenth of the interval (at most a minute), the first time one such
   * period after start, when the start's own work is done; returns the function that stops it. A tick still running
   * when the next comes is not doubled.
   */
  start(): () => void {
    const intervalMs = this.ctx.deps.intervalMs;
    if (intervalMs === undefined) return () => undefined;
    const tick = () => {
      this.ticking ??= this.checkDue()
        .then(() => undefined)
        .catch((error: unknown) => this.ctx.deps.logger?.error({ err: error }, 'drift sweep failed'))
        .finally(() => {
          this.ticking = undefined;
        });
    };
    const timer = setInterval(tick, Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, intervalMs / 10)));
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Resolves when every check and action under way has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }
}
