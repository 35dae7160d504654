import { describe, expect, it } from 'vitest';
import { CommandLimit } from '../../src/slack/command-limit.js';

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

describe('CommandLimit', () => {
  it('lets a person send the limit in a minute, refuses the next with the wait, and counts people apart', () => {
    const { time, now } = clock();
    const limit = new CommandLimit(3, now);
    expect(limit.take('UANN')).toEqual({ ok: true });
    time.now += 10_000;
    expect(limit.take('UANN')).toEqual({ ok: true });
    expect(limit.take('UANN')).toEqual({ ok: true });
    time.now += 15_000;
    expect(limit.take('UANN')).toEqual({ ok: false, limit: 3, retryInMs: 35_000 });
    expect(limit.take('UBOB')).toEqual({ ok: true });
  });

  it('does not count refused commands, and lets the next one through once the oldest is a minute old', () => {
    const { time, now } = clock();
    const limit = new CommandLimit(2, now);
    limit.take('UANN');
    limit.take('UANN');
    for (let i = 0; i < 50; i++) {
      time.now += 1_000;
      expect(limit.take('UANN').ok).toBe(false);
    }
    time.now += 10_000;
    expect(limit.take('UANN')).toEqual({ ok: true });
  });

  it('forgets people who have been quiet for a minute', () => {
    const { time, now } = clock();
    const limit = new CommandLimit(20, now);
    for (let i = 0; i < 1_000; i++) limit.take(`U${i}`);
    expect(limit.size).toBe(1_000);
    time.now += 61_000;
    limit.take('UANN');
    expect(limit.size).toBe(1);
  });
});
