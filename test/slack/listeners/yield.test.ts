import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { countUntilAnswered, yieldToWaitingRequests } from '../../../src/slack/listeners/yield.js';

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await setImmediate();
}

describe('work after an ack', () => {
  it('waits until every request waiting for its answer has been answered', async () => {
    const first = countUntilAnswered();
    const second = countUntilAnswered();
    let resumed = false;
    const work = yieldToWaitingRequests().then(() => {
      resumed = true;
    });
    await turns(5);
    expect(resumed).toBe(false);
    first();
    await turns(5);
    expect(resumed).toBe(false);
    second();
    await work;
    expect(resumed).toBe(true);
  });

  it('counts an answer once, however often it is reported', async () => {
    const answered = countUntilAnswered();
    const open = countUntilAnswered();
    answered();
    answered();
    let resumed = false;
    const work = yieldToWaitingRequests().then(() => {
      resumed = true;
    });
    await turns(5);
    expect(resumed).toBe(false);
    open();
    await work;
  });

  it('goes ahead after a second when a request is never answered', async () => {
    const stuck = countUntilAnswered();
    const started = Date.now();
    await yieldToWaitingRequests();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    stuck();
  });

  it('only yields a turn when nothing waits', async () => {
    const started = Date.now();
    await yieldToWaitingRequests();
    expect(Date.now() - started).toBeLessThan(100);
  });
});

describe('work after an ack under steady load', () => {
  it('holds back a bounded amount of work: past it, work goes ahead at once', async () => {
    const stuck = countUntilAnswered();
    try {
      const held = Array.from({ length: 512 }, () => yieldToWaitingRequests());
      await turns(3);
      const started = Date.now();
      await yieldToWaitingRequests();
      expect(Date.now() - started).toBeLessThan(200);
      stuck();
      await Promise.all(held);
    } finally {
      stuck();
    }
  });
});
