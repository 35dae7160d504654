import { describe, expect, it, vi } from 'vitest';
import { BotMetrics } from '../../src/metrics/bot-metrics.js';

describe('the scrape-time counts', () => {
  it('read the store once at a time: scrapes while a read hangs share it, and a later scrape reads afresh', async () => {
    vi.useFakeTimers();
    try {
      let finish: (counts: { openRequests: number; liveGrants: number }) => void = () => {};
      const counts = vi.fn(
        () =>
          new Promise<{ openRequests: number; liveGrants: number }>((resolve) => {
            finish = resolve;
          }),
      );
      const metrics = new BotMetrics();
      metrics.watch({ accounts: () => [], budget: () => ({}) as never, counts, now: () => Date.now() });

      // Three scrapes while the store does not answer: each gives up after its budget, one read in all.
      for (let i = 0; i < 3; i++) {
        const scrape = metrics.scrape();
        await vi.advanceTimersByTimeAsync(1_000);
        expect((await scrape).body).toMatch(/waba_access_open_requests Nan\n/);
      }
      expect(counts).toHaveBeenCalledTimes(1);

      finish({ openRequests: 4, liveGrants: 2 });
      await vi.advanceTimersByTimeAsync(0);
      const fresh = metrics.scrape();
      finish({ openRequests: 5, liveGrants: 2 });
      expect((await fresh).body).toMatch(/waba_access_open_requests 5\n/);
      expect(counts).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
