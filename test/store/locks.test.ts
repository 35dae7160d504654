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
  it('expires a lock whose holder died, and never deletes a lock it no longer owns', async () => {
    const prefix = `test:${Math.random()}:`;
    const locker = new RedisLocker(redis!, prefix);
    // A holder that outlives its TTL: someone else takes the lock, and the first release leaves theirs alone.
    const slow = locker.withLock('k', () => sleep(150), { ttlMs: 50 });
    await sleep(80);
    let secondHolds = false;
    const second = locker.withLock(
      'k',
      async () => {
        secondHolds = true;
        await sleep(150);
        expect(await redis!.get(`${prefix}k`)).not.toBeNull();
      },
      { waitMs: 1_000 },
    );
    await slow;
    await second;
    expect(secondHolds).toBe(true);
  });
});
