import { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisIdIndex, RedisRecentIndex, SnapshotIdIndex } from '../../src/store/id-index.js';

/** A Keyv whose writes are counted and can be made to fail. */
function countingKeyv() {
  const keyv = new Keyv({ throwOnErrors: true });
  const writes: unknown[] = [];
  let failNext = false;
  const set = keyv.set.bind(keyv);
  keyv.set = (async (key: string, value: unknown) => {
    writes.push(structuredClone(value));
    if (failNext) {
      failNext = false;
      throw new Error('disk full');
    }
    return set(key, value);
  }) as typeof keyv.set;
  return { keyv, writes, failOnce: () => (failNext = true) };
}

describe('SnapshotIdIndex', () => {
  it('shares writes among changes that arrive together, and stores every change', async () => {
    const { keyv, writes } = countingKeyv();
    const index = new SnapshotIdIndex(keyv, 'open');
    const ids = Array.from({ length: 200 }, (_, i) => `r${i}`);

    await Promise.all(ids.map((id) => index.add(id)));
    expect(writes.length).toBeLessThanOrEqual(2);
    await Promise.all(ids.slice(0, 50).map((id) => index.remove(id)));
    expect(writes.length).toBeLessThanOrEqual(4);

    const reread = new SnapshotIdIndex(keyv, 'open');
    expect((await reread.members()).sort()).toEqual(ids.slice(50).sort());
    expect(await reread.size()).toBe(150);
  });

  it('keeps the newest ids in order when touched, dropping the oldest beyond the limit', async () => {
    const { keyv } = countingKeyv();
    const recent = new SnapshotIdIndex(keyv, 'recent');
    for (const id of ['a', 'b', 'c', 'a', 'd']) await recent.touch(id, 3);
    expect(await recent.members()).toEqual(['c', 'a', 'd']);
    expect(await new SnapshotIdIndex(keyv, 'recent').members()).toEqual(['c', 'a', 'd']);
  });

  it('writes nothing for a change that changes nothing', async () => {
    const { keyv, writes } = countingKeyv();
    const index = new SnapshotIdIndex(keyv, 'open');
    await index.add('a');
    await index.add('a');
    await index.remove('b');
    expect(writes).toEqual([['a']]);
  });

  it('fails the change whose write failed, and the next write carries it', async () => {
    const { keyv, failOnce } = countingKeyv();
    const index = new SnapshotIdIndex(keyv, 'open');
    failOnce();
    await expect(index.add('a')).rejects.toThrow('disk full');
    await index.add('b');
    expect((await keyv.get('open')) as string[]).toEqual(['a', 'b']);
  });

  it('does not take a failed first read for an empty set', async () => {
    const keyv = new Keyv({ throwOnErrors: true });
    await keyv.set('open', ['kept']);
    const get = keyv.get.bind(keyv);
    let failed = false;
    keyv.get = (async (key: string) => {
      if (!failed) {
        failed = true;
        throw new Error('busy');
      }
      return get(key);
    }) as typeof keyv.get;
    const index = new SnapshotIdIndex(keyv, 'open');

    await expect(index.add('new')).rejects.toThrow('busy');
    await index.add('new');
    expect(((await get('open')) as string[]).sort()).toEqual(['kept', 'new']);
  });
});

describe.skipIf(!process.env.REDIS_URL)('RedisIdIndex', () => {
  const client = createClient({ url: process.env.REDIS_URL });
  const prefix = `test-index-${Math.random().toString(36).slice(2, 10)}`;
  afterAll(async () => {
    if (client.isOpen) await client.close();
  });

  it('adds and removes atomically, and moves the set an earlier version kept as one key', async () => {
    if (!client.isOpen) await client.connect();
    const keyv = new Keyv({ namespace: prefix, throwOnErrors: true });
    await keyv.set('open-requests', ['old-1', 'old-2']);
    // Counting moves the earlier set first, like every other read.
    expect(await new RedisIdIndex(client, `${prefix}:set:open`, { keyv, key: 'open-requests' }).size()).toBe(2);
    const index = new RedisIdIndex(client, `${prefix}:set:open`, { keyv, key: 'open-requests' });

    await Promise.all(Array.from({ length: 50 }, (_, i) => index.add(`new-${i}`)));
    await index.remove('old-1');

    const members = await index.members();
    expect(members).toHaveLength(51);
    expect(await index.size()).toBe(51);
    expect(members).toContain('old-2');
    expect(members).not.toContain('old-1');
    expect(await keyv.get('open-requests')).toBeUndefined();
    await client.del(`${prefix}:set:open`);
  });
});

describe.skipIf(!process.env.REDIS_URL)('RedisRecentIndex', () => {
  const client = createClient({ url: process.env.REDIS_URL });
  afterAll(async () => {
    if (client.isOpen) await client.close();
  });

  it('keeps the newest ids in order, trimmed to the limit', async () => {
    if (!client.isOpen) await client.connect();
    const key = `test-recent-${Math.random().toString(36).slice(2, 10)}`;
    let clock = 0;
    const recent = new RedisRecentIndex(client, key, () => ++clock);
    for (const id of ['a', 'b', 'c', 'a', 'd']) await recent.touch(id, 3);
    expect(await recent.members()).toEqual(['c', 'a', 'd']);
    await client.del(key);
  });
});
