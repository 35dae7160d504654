import { randomBytes } from 'node:crypto';
import type { DriftStore } from './drift-ports.js';
import { type Clock, systemClock } from './ports.js';
import { normalizeTasks, type Task } from './tasks.js';
import type { WriteJournal } from './write-journal.js';

/**
 * The bot's writes, kept in each person's history on the WABA: an `intent` before the call, then `done` or
 * `unknown`. The person is marked as written since the last drift check, so the check reads only their history.
 */
export class DriftJournal implements WriteJournal {
  constructor(
    private readonly store: DriftStore,
    private readonly clock: Clock = systemClock,
  ) {}

  async begin(wabaId: string, userId: string, tasks: readonly Task[] | null, cause?: string) {
    const writeId = randomBytes(6).toString('hex');
    const recorded = tasks === null ? null : normalizeTasks(tasks);
    const event = (phase: 'intent' | 'done' | 'unknown') => ({
      kind: 'write' as const,
      at: this.clock.now().toISOString(),
      writeId,
      phase,
      tasks: recorded,
      ...(cause ? { cause } : {}),
    });
    // Marked first: a check that sees the intent must also find the person among those written.
    await this.store.touch(wabaId, userId);
    await this.store.appendPersonEvent(wabaId, userId, event('intent'));
    return async (outcome: 'done' | 'unknown') => {
      await this.store.appendPersonEvent(wabaId, userId, event(outcome));
    };
  }
}
