import { AsyncLocalStorage } from 'node:async_hooks';
import { type HeldLock, LockLostError } from '../access/ports.js';

/** A lock as its holder's writes see it; `fence` lets Redis check, in the write itself, that it is still held. */
export interface Holding extends HeldLock {
  released: boolean;
  fence?: { redisKey: string; token: string };
}

const context = new AsyncLocalStorage<readonly Holding[]>();

/**
 * Runs `fn` with `lock` among the locks its writes are made under. Store writes consult them, so work under a lock
 * that was lost cannot commit, without each call site passing the lock along.
 */
export function holding<T>(lock: Holding, fn: () => Promise<T>): Promise<T> {
  return context.run([...(context.getStore() ?? []), lock], fn);
}

/** The locks the current work holds (those it took and has not released). */
export function locksHeld(): Holding[] {
  return (context.getStore() ?? []).filter((lock) => !lock.released);
}

/** Throws LockLostError when a lock the current work holds was lost: its holder must not write. */
export function assertLocksHeld(): void {
  for (const lock of locksHeld()) {
    if (lock.signal.aborted) throw new LockLostError(lock.key);
  }
}

/** The Redis keys and tokens of the locks held, for a script that refuses to write once one is gone. */
export function redisFences(): Array<{ redisKey: string; token: string }> {
  return locksHeld().flatMap((lock) => (lock.fence ? [lock.fence] : []));
}
