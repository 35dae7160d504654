import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { countUntilAnswered, noteConnection, yieldToWaitingRequests } from '../../../src/slack/listeners/yield.js';

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

  it("waits for a short quiet spell after the latest arrival, so work does not slip between a burst's requests", async () => {
    countUntilAnswered()();
    let resumed = false;
    const work = yieldToWaitingRequests().then(() => {
      resumed = true;
    });
    await sleep(12);
    // Another request arrives and is answered at once: the quiet spell starts again from it.
    countUntilAnswered()();
    const arrived = Date.now();
    await sleep(12);
    expect(resumed).toBe(false);
    await work;
    expect(Date.now() - arrived).toBeGreaterThanOrEqual(18);
  });

  it('counts a new connection as an arrival: its request is on its way', async () => {
    await sleep(30);
    noteConnection();
    const started = Date.now();
    await yieldToWaitingRequests();
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('lets held work go ahead in the order it was held, whenever each piece was told to wait', async () => {
    const order: number[] = [];
    const first = countUntilAnswered();
    const works = [yieldToWaitingRequests().then(() => order.push(1))];
    await sleep(8);
    // Arrivals keep coming while the first piece waits; later pieces must never overtake it.
    const second = countUntilAnswered();
    works.push(yieldToWaitingRequests().then(() => order.push(2)));
    first();
    await sleep(8);
    works.push(yieldToWaitingRequests().then(() => order.push(3)));
    second();
    countUntilAnswered()();
    works.push(yieldToWaitingRequests().then(() => order.push(4)));
    await Promise.all(works);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('only yields a turn when nothing waits', async () => {
    await sleep(40);
    const started = Date.now();
    await yieldToWaitingRequests();
    expect(Date.now() - started).toBeLessThan(100);
  });
});

describe('work after an ack under steady load', () => {
  it('holds back a bounded amount of work: past it, the oldest held work goes ahead at once', async () => {
    const stuck = countUntilAnswered();
    try {
      const released: number[] = [];
      const held = Array.from({ length: 512 }, (_, i) => yieldToWaitingRequests().then(() => released.push(i)));
      await turns(3);
      expect(released).toEqual([]);
      const extra = yieldToWaitingRequests().then(() => released.push(512));
      await turns(3);
      expect(released).toEqual([0]);
      stuck();
      await Promise.all([...held, extra]);
      // The rest, and the extra one last: the order held.
      expect(released).toEqual(Array.from({ length: 513 }, (_, i) => i));
    } finally {
      stuck();
    }
  });
});
