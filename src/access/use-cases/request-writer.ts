import { type AuditEntry, type Clock, LockBusyError, type Locker, type RequestRepository } from '../ports.js';
import { type AccessRequest, isFinal } from '../request.js';
import type { ServiceLogger } from './context.js';

const lockKey = (id: string) => `request:${id}`;

/**
 * Every write the use cases make to a request: its state with the audit entry for it, the audit log, and the
 * request's lock. Use cases never call the repository's writes themselves, so how a write is made durable (a lock,
 * or a conditional transition) changes here alone.
 */
export class RequestWriter {
  constructor(
    private readonly repository: RequestRepository,
    private readonly locker: Locker,
    private readonly clock: Clock,
    private readonly logger?: ServiceLogger,
  ) {}

  /** Saves a request in its new state, keeps the open and recently-finished indexes, and audits the step. */
  async persist(request: AccessRequest, actor: string, detail?: string): Promise<void> {
    await this.repository.save(request);
    await this.repository.setOpen(request.id, !isFinal(request));
    if (isFinal(request)) await this.repository.noteFinished(request.id);
    await this.audit(request.id, actor, request.state, detail);
  }

  /** Saves a change that is not a state of its own (an approval short of the count, a reminder, where messages are). */
  async save(request: AccessRequest): Promise<void> {
    await this.repository.save(request);
  }

  /** Marks a request no longer open (found final or gone by a sweep). */
  async close(id: string): Promise<void> {
    await this.repository.setOpen(id, false);
  }

  /** Adds a line to the request's audit log, and to the structured log. */
  async audit(requestId: string, actor: string, event: AuditEntry['event'], detail?: string): Promise<void> {
    const entry = { requestId, at: this.clock.now().toISOString(), actor, event, ...(detail ? { detail } : {}) };
    await this.repository.appendAudit(entry);
    this.logger?.info({ audit: entry }, `request ${requestId} ${event}`);
  }

  /** Runs `fn` holding the request's lock; throws LockBusyError when another holder keeps it past `waitMs`. */
  withLock<T>(id: string, fn: () => Promise<T>, options?: { waitMs?: number }): Promise<T> {
    return this.locker.withLock(lockKey(id), fn, options);
  }

  /** Runs `fn` holding the request's lock; undefined when someone else holds it. */
  async withRequestLock<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.withLock(id, fn);
    } catch (error) {
      if (error instanceof LockBusyError) return undefined;
      throw error;
    }
  }
}
