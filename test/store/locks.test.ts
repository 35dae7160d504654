import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBusyError, type Locker } from '../../src/access/ports.js';
import { InProcessLocker, RedisLocker } from '../../src/store/locks.js';

const redisUrl = process.env.REDIS_URL;
const redis = redisUrl ? createClient({ url: redisUrl }) : undefined;

beforeAll(async () => {
  await redis?.connect();
});

afterAll(async () => {
  await redis?.close();
});

const lockers: Array<[string, () => Locker]> = [['in-process', () => new InProcessLocker()]];
if (redis) lockers.push(['Redis', () => new RedisLocker(redis, `test:${Math.random()}:`)]);

describe.each(lockers)('%s locker', (_name, make) => {
  it('lets one holder in at a time', async () => {
    const locker = make();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        locker.withLock(
          'k',
          async () => {
            inside++;
            most = Math.max(most, inside);
            await sleep(2);
            inside--;
          },
          { waitMs: 10_000 },
        ),
      ),
    );
    expect(most).toBe(1);
  });

  it('gives up with LockBusyError after the wait, and the lock still works afterwards', async () => {
    const locker = make();
    let release!: () => void;
    const held = locker.withLock('k', () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(20);
    await expect(locker.withLock('k', async () => 'never', { waitMs: 50 })).rejects.toBeInstanceOf(LockBusyError);
    release();
    await held;
    expect(await locker.withLock('k', async () => 'free again')).toBe('free again');
  });

  it('keeps keys independent and releases on errors', async () => {
    const locker = make();
    await expect(locker.withLock('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await Promise.all([locker.withLock('a', async () => 1), locker.withLock('b', async () => 2)])).toEqual([
      1, 2,
    ]);
  });
});

describe.skipIf(!redis)('RedisLocker expiry', () => {
  it('keeps a lock whose holder works past the TTL, by renewing it', async () => {
    const locker = new RedisLocker(redis!, `test:${Math.random()}:`);
    const holding = locker.withLock('k', () => sleep(250), { ttlMs: 90 });
    await sleep(150);
    await expect(locker.withLock('k', async () => 'stolen', { waitMs: 20 })).rejects.toBeInstanceOf(LockBusyError);
    await holding;
  });

  it('takes over a lock left by a dead process once it expires, and never deletes a lock it does not hold', async () => {
    const prefix = `test:${Math.random()}:`;
    const locker = new RedisLocker(redis!, prefix);
    // A killed process's lock: nobody renews it.
    await redis!.set(`${prefix}k`, 'dead-token', { condition: 'NX', expiration: { type: 'PX', value: 100 } });
    const started = Date.now();
    expect(await locker.withLock('k', async () => 'taken over', { waitMs: 2_000 })).toBe('taken over');
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);

    await redis!.set(`${prefix}other`, 'someone-else');
    await expect(locker.withLock('other', async () => 'x', { waitMs: 20 })).rejects.toBeInstanceOf(LockBusyError);
    expect(await redis!.get(`${prefix}other`)).toBe('someone-else');
    await redis!.del(`${prefix}other`);
  });
});
