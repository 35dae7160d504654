import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockBusyError, type Locker, LockLostError } from '../../src/access/ports.js';
import { approve, type Pending } from '../../src/access/request.js';
import { InProcessLocker, type RedisLockClient, RedisLocker } from '../../src/store/locks.js';
import { openStore, type Store } from '../../src/store/open-store.js';
import { at, pendingRequest } from '../support/requests.js';

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

describe('a lock whose renewal fails', () => {
  it('aborts its holder when Redis does not answer the renewal', async () => {
    const failing: RedisLockClient = {
      set: async () => 'OK',
      eval: async (script) => {
        if (script.includes('pexpire')) throw new Error('connection lost');
        return 1;
      },
    };
    const locker = new RedisLocker(failing, 'test:');
    const reason = await locker.withLock(
      'k',
      async (lock) => {
        expect(lock.signal.aborted).toBe(false);
        await new Promise((resolve) => lock.signal.addEventListener('abort', resolve, { once: true }));
        return lock.signal.reason;
      },
      { ttlMs: 60 },
    );
    expect(reason).toBeInstanceOf(LockLostError);
  });

  it('never aborts an in-process lock, which nothing can take away', async () => {
    const signal = await new InProcessLocker().withLock('k', async (lock) => {
      await sleep(30);
      return lock.signal;
    });
    expect(signal.aborted).toBe(false);
  });
});

describe.skipIf(!redis)('writes under a Redis lock that was lost', () => {
  const namespace = `lost-${Math.random().toString(36).slice(2, 10)}`;
  const lockKey = (id: string) => `${namespace}:lock:request:${id}`;
  let store: Store;

  beforeAll(async () => {
    store = await openStore(redisUrl!, { namespace });
  });

  afterAll(async () => {
    await store?.close();
  });

  async function filed(): Promise<Pending> {
    return store.repository.transition(pendingRequest({ id: `r${Math.random().toString(36).slice(2)}` }), {
      expectedVersion: 0,
    });
  }

  const approval = (request: Pending) =>
    store.repository.transition(approve(request, 'UANN', at), {
      expectedVersion: request.version ?? 0,
      audit: { requestId: request.id, at: at.toISOString(), actor: 'UANN', event: 'approved' },
    });

  it('refuses the holder’s write once the renewal finds the key gone, and the stored request stays as it was', async () => {
    const request = await filed();
    const attempt = await store.locker.withLock(
      `request:${request.id}`,
      async (lock) => {
        const read = (await store.repository.get(request.id)) as Pending;
        await redis!.del(lockKey(request.id)); // expired, as after a long pause
        await new Promise((resolve) => lock.signal.addEventListener('abort', resolve, { once: true }));
        return approval(read).then(
          () => 'written',
          (error: unknown) => error,
        );
      },
      { ttlMs: 90 },
    );
    expect(attempt).toBeInstanceOf(LockLostError);
    expect(await store.repository.get(request.id)).toEqual(request);
    expect(await store.repository.auditOf(request.id)).toEqual([]);
    // The grant records its holder keeps are refused the same way.
    await expect(
      store.locker.withLock(
        'user:1:2',
        async (lock) => {
          await redis!.del(`${namespace}:lock:user:1:2`);
          await new Promise((resolve) => lock.signal.addEventListener('abort', resolve, { once: true }));
          await store.repository.saveLedger('1', '2', { baseline: null, liveGrantIds: [] });
        },
        { ttlMs: 90 },
      ),
    ).rejects.toBeInstanceOf(LockLostError);
    expect(await store.repository.getLedger('1', '2')).toBeUndefined();
  });

  it('refuses it in the write itself when another worker took the lock before the renewal noticed', async () => {
    const request = await filed();
    const outcome = await store.locker.withLock(`request:${request.id}`, async (lock) => {
      const read = (await store.repository.get(request.id)) as Pending;
      await redis!.set(lockKey(request.id), 'another-worker'); // taken over, and our renewal has not run yet
      expect(lock.signal.aborted).toBe(false);
      return approval(read).then(
        () => 'written',
        (error: unknown) => error,
      );
    });
    expect(outcome).toBeInstanceOf(LockLostError);
    expect(await store.repository.get(request.id)).toEqual(request);
    // The other worker's lock is left alone.
    expect(await redis!.get(lockKey(request.id))).toBe('another-worker');
    await redis!.del(lockKey(request.id));
  });

  it('lets a holder whose lock stays renewed write past the lock’s first TTL', async () => {
    const request = await filed();
    const written = await store.locker.withLock(
      `request:${request.id}`,
      async () => {
        const read = (await store.repository.get(request.id)) as Pending;
        await sleep(500);
        return approval(read);
      },
      { ttlMs: 300 },
    );
    expect(await store.repository.get(request.id)).toEqual(written);
  });
});
