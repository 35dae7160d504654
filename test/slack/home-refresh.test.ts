import { afterEach, describe, expect, it, vi } from 'vitest';
import { HomeRefresh } from '../../src/slack/home-refresh.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('HomeRefresh', () => {
  it('publishes each person once per burst, after the burst has gathered, and only people', async () => {
    vi.useFakeTimers();
    const published: string[] = [];
    const batches: string[][] = [];
    const homes = new HomeRefresh(
      async (people) => {
        batches.push([...people].sort());
        return async (userId) => {
          published.push(userId);
        };
      },
      undefined,
      1_000,
    );
    for (let i = 0; i < 50; i++)
      homes.touch(['ULEAD', i % 2 ? 'UANN' : 'WBOB', undefined, 'SGROUP', 'system', 'CTEAM']);
    await vi.advanceTimersByTimeAsync(999);
    expect(published).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(published.sort()).toEqual(['UANN', 'ULEAD', 'WBOB']);
    // What they share was read once for the three of them.
    expect(batches).toEqual([['UANN', 'ULEAD', 'WBOB']]);

    homes.touch(['ULEAD']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(published.filter((id) => id === 'ULEAD')).toHaveLength(2);
  });

  it('logs a failed publish and goes on with the others; publishes nothing once stopped', async () => {
    vi.useFakeTimers();
    const warn = vi.fn();
    const published: string[] = [];
    const homes = new HomeRefresh(
      async () => async (userId) => {
        if (userId === 'UANN') throw new Error('ratelimited');
        published.push(userId);
      },
      { warn },
      10,
    );
    homes.touch(['UANN', 'ULEAD']);
    await vi.advanceTimersByTimeAsync(10);
    await homes.settled();
    expect(published).toEqual(['ULEAD']);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ userId: 'UANN' }),
      'could not publish the Home tab again',
    );

    homes.touch(['UBOB']);
    homes.stop();
    await vi.advanceTimersByTimeAsync(100);
    homes.touch(['UBOB']);
    await vi.advanceTimersByTimeAsync(100);
    expect(published).toEqual(['ULEAD']);
  });

  it('logs a failed read of what the Home tabs show, and tries again on the next change', async () => {
    vi.useFakeTimers();
    const warn = vi.fn();
    const published: string[] = [];
    let storeDown = true;
    const homes = new HomeRefresh(
      async () => {
        if (storeDown) throw new Error('store unavailable');
        return async (userId) => {
          published.push(userId);
        };
      },
      { warn },
      10,
    );
    homes.touch(['ULEAD']);
    await vi.advanceTimersByTimeAsync(10);
    await homes.settled();
    expect(published).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ people: 1 }), 'could not read what the Home tabs show');
    storeDown = false;
    homes.touch(['ULEAD']);
    await vi.advanceTimersByTimeAsync(10);
    await homes.settled();
    expect(published).toEqual(['ULEAD']);
  });
});
