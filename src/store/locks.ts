import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HeldLock, LockBusyError, type Locker, LockLostError } from '../access/ports.js';
import { type Holding, holding } from './held-locks.js';

const DEFAULT_WAIT_MS = 5_000;
/** Locked regions are short (store reads and writes); a lock left by a killed process frees itself this soon. */
const DEFAULT_TTL_MS = 15_000;

/** Mutual exclusion inside one process: a queue of waiters per key. */
export class InProcessLocker implements Locker {
  private readonly tails = new Map<string, Promise<void>>();

  async withLock<T>(key: string, fn: (lock: HeldLock) => Promise<T>, options: { waitMs?: number } = {}): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), options.waitMs ?? DEFAULT_WAIT_MS);
      timer.unref();
    });
    const acquired = await Promise.race([previous.then(() => true), timedOut]);
    clearTimeout(timer);
    const cleanUp = () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    if (!acquired) {
      // Keep our place in the queue until the holder is done, so later waiters still wait for it.
      void previous.then(cleanUp);
      throw new LockBusyError(key);
    }
    // Nothing can take an in-process lock away from its holder, so its signal never aborts.
    const lock: Holding = { key, signal: new AbortController().signal, released: false };
    try {
      return await holding(lock, () => fn(lock));
    } finally {
      lock.released = true;
      cleanUp();
    }
  }
}

/** The few Redis commands a lock needs; @redis/client's client fits. */
export interface RedisLockClient {
  set(
    key: string,
    value: string,
    options: { condition: 'NX'; expiration: { type: 'PX'; value: number } },
  ): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Deletes the lock only if it still holds our token, so an expired lock taken by someone else is left alone. */
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Extends the lock only while it is still ours. */
const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * Mutual exclusion across replicas: `SET key token NX PX ttl`, released by compare-and-delete. While the holder
 * works the lock is renewed, so the TTL can stay short: a lock left by a killed process frees itself within it.
 * A renewal that fails (the key expired or is someone else's, or Redis did not answer) aborts the holder's signal:
 * the lock may be another's now, so the holder's writes are refused from then on (see held-locks.ts).
 */
export class RedisLocker implements Locker {
  constructor(
    private readonly client: RedisLockClient,
    private readonly prefix: string,
  ) {}

  async withLock<T>(
    key: string,
    fn: (lock: HeldLock) => Promise<T>,
    options: { waitMs?: number; ttlMs?: number } = {},
  ): Promise<T> {
    const redisKey = this.prefix + key;
    const token = randomUUID();
    const deadline = Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
    const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
    for (;;) {
      const reply = await this.client.set(redisKey, token, { condition: 'NX', expiration: { type: 'PX', value: ttl } });
      if (reply === 'OK') break;
      if (Date.now() >= deadline) throw new LockBusyError(key);
      await sleep(10 + Math.random() * 30);
    }
    const lost = new AbortController();
    const lock: Holding = { key, signal: lost.signal, released: false, fence: { redisKey, token } };
    const stop = () => {
      clearInterval(renew);
      lost.abort(new LockLostError(key));
    };
    const renew = setInterval(() => {
      this.client.eval(RENEW_SCRIPT, { keys: [redisKey], arguments: [token, String(ttl)] }).then(
        (renewed) => {
          if (renewed !== 1 && !lock.released) stop();
        },
        () => {
          if (!lock.released) stop();
        },
      );
    }, ttl / 3);
    renew.unref();
    try {
      return await holding(lock, () => fn(lock));
    } finally {
      lock.released = true;
      clearInterval(renew);
      await this.client.eval(RELEASE_SCRIPT, { keys: [redisKey], arguments: [token] });
    }
  }
}
