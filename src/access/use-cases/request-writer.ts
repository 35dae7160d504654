import {
  type AccessMetrics,
  type AuditEntry,
  type Clock,
  isContention,
  type Locker,
  LockLostError,
  type RequestRepository,
  TransitionConflictError,
} from '../ports.js';
import { type AccessRequest, isFinal } from '../request.js';
import type { ServiceLogger } from './context.js';

const lockKey = (id: string) => `request:${id}`;

/** What an audit entry needs to know of its request: which it is, and on which account. */
export interface AuditSubject {
  id: string;
  wabaId: string;
}

/**
 * Every write the use cases make to a request: its state with the audit entry for it, the audit log, and the
 * request's lock. Use cases never call the repository's writes themselves. Each write is a conditional transition
 * from the version the request was read at, so a writer that read it before someone else moved it on fails with
 * TransitionConflictError instead of undoing their change.
 */
export class RequestWriter {
  constructor(
    private readonly repository: RequestRepository,
    private readonly locker: Locker,
    private readonly clock: Clock,
    private readonly logger?: ServiceLogger,
    /** The alias an account goes by now, written into each entry. */
    private readonly aliasOf: (wabaId: string) => string | undefined = () => undefined,
    private readonly metrics?: AccessMetrics,
  ) {}

  /**
   * Moves a request to its new state, with the audit entry for that state in the same write; keeps the open,
   * retryable and recently-finished indexes. Returns the request as stored (with its new version).
   */
  async persist<T extends AccessRequest>(request: T, actor: string, detail?: string): Promise<T> {
    const stored = await this.write(request, this.entry(request, actor, request.state, detail));
    this.metrics?.stateEntered(request.state);
    // A failure is final but may still be retried until it expires; any other end takes it off that index. Listed
    // there before it leaves the open index: a process that stops in between leaves it open, and recovery, closing
    // it, lists it (see `close`), so no failure falls out of both.
    if (isFinal(request)) await this.repository.setRetryable(request.id, request.state === 'failed');
    await this.repository.setOpen(request.id, !isFinal(request));
    if (isFinal(request)) await this.repository.noteFinished(request.id);
    return stored;
  }

  /**
   * Saves a change that is not a state of its own (an approval short of the count, a reminder, where messages are),
   * with its audit entry when it has one. Returns the request as stored.
   */
  async save<T extends AccessRequest>(
    request: T,
    audit?: { actor: string; event: AuditEntry['event']; detail?: string },
  ): Promise<T> {
    return this.write(request, audit && this.entry(request, audit.actor, audit.event, audit.detail));
  }

  /**
   * Records how an execution ended. The Graph change is done, so a lock lost meanwhile is taken again (the version
   * still guards the write). When another process took the request over and moved it on, its record stands: the
   * request as stored is returned (`ours: false`), and whoever finished it tells people.
   */
  async settle(final: AccessRequest): Promise<{ request: AccessRequest; ours: boolean }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const request = await this.withLock(final.id, () => this.persist(final, 'system'), { waitMs: 15_000 });
        return { request, ours: true };
      } catch (error) {
        if (error instanceof LockLostError && attempt < 3) continue;
        if (!(error instanceof TransitionConflictError)) throw error;
        this.logger?.warn({ requestId: final.id }, 'another process moved this request on first');
        return { request: (await this.repository.get(final.id)) ?? final, ours: false };
      }
    }
  }

  private async write<T extends AccessRequest>(request: T, entry?: AuditEntry): Promise<T> {
    const stored = await this.repository.transition(request, {
      expectedVersion: request.version ?? 0,
      ...(entry ? { audit: entry } : {}),
    });
    if (entry) this.logger?.info({ audit: entry }, `request ${entry.requestId} ${entry.event}`);
    return stored;
  }

  private entry(subject: AuditSubject, actor: string, event: AuditEntry['event'], detail?: string): AuditEntry {
    const account = this.aliasOf(subject.wabaId);
    return {
      requestId: subject.id,
      at: this.clock.now().toISOString(),
      actor,
      event,
      ...(detail ? { detail } : {}),
      wabaId: subject.wabaId,
      ...(account ? { account } : {}),
    };
  }

  /**
   * Marks a request no longer open (found final or gone by a sweep). One found failed is listed as retryable first:
   * its process stopped before its own index writes, and otherwise it would never expire.
   */
  async close(id: string, found?: AccessRequest): Promise<void> {
    if (found?.state === 'failed') await this.repository.setRetryable(id, true);
    await this.repository.setOpen(id, false);
  }

  /** Adds a line that goes with no request write (a notice sent, a grant's end) to the audit log and the log. */
  async audit(subject: AuditSubject, actor: string, event: AuditEntry['event'], detail?: string): Promise<void> {
    const entry = this.entry(subject, actor, event, detail);
    await this.repository.appendAudit(entry);
    this.logger?.info({ audit: entry }, `request ${subject.id} ${event}`);
  }

  /** Runs `fn` holding the request's lock; throws LockBusyError when another holder keeps it past `waitMs`, and
   * LockLostError when the lock could not be renewed (the work's writes are then refused). */
  withLock<T>(id: string, fn: () => Promise<T>, options?: { waitMs?: number }): Promise<T> {
    return this.locker.withLock(lockKey(id), fn, options);
  }

  /** Runs `fn` holding the request's lock; undefined when someone else holds or changed the request meanwhile. */
  async withRequestLock<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.withLock(id, fn);
    } catch (error) {
      if (isContention(error)) return undefined;
      throw error;
    }
  }
}
