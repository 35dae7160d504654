import { AsyncLocalStorage } from 'node:async_hooks';
import type { Task } from './tasks.js';

/**
 * The bot's own writes to Meta, recorded before each is sent and settled once Graph has answered. The drift check
 * compares a roster read with the last one plus these writes, so only changes made outside the bot are reported,
 * also after a restart or on another replica.
 */
export interface WriteJournal {
  /**
   * Records that the bot is about to give `userId` exactly `tasks` on `wabaId` (null: remove them). Returns the
   * function that records how the write ended: `done` once Graph confirmed it, `unknown` when it failed (it may
   * still have landed). Throws when the write cannot be recorded: nothing is then sent.
   */
  begin(
    wabaId: string,
    userId: string,
    tasks: readonly Task[] | null,
    cause?: string,
  ): Promise<(outcome: 'done' | 'unknown') => Promise<void>>;
}

const causes = new AsyncLocalStorage<string>();

/**
 * Runs `fn` with the reason for any write it makes (`request:<id>`, `drift:<id>`), so a person's history can say why
 * the bot changed their access.
 */
export function withWriteCause<T>(cause: string, fn: () => Promise<T>): Promise<T> {
  return causes.run(cause, fn);
}

/** The reason for writes made now, if the work was started with one. */
export function currentWriteCause(): string | undefined {
  return causes.getStore();
}
