import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { countUntilAnswered, yieldToWaitingRequests } from '../../../src/slack/listeners/yield.js';

const response = () => new EventEmitter() as ServerResponse;

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await setImmediate();
}

describe('work after an ack', () => {
  it('waits until every request waiting for its answer has been answered', async () => {
    const first = response();
    const second = response();
    countUntilAnswered(first);
    countUntilAnswered(second);
    let resumed = false;
    const work = yieldToWaitingRequests().then(() => {
      resumed = true;
    });
    await turns(5);
    expect(resumed).toBe(false);
    first.emit('finish');
    await turns(5);
    expect(resumed).toBe(false);
    // A connection that closes without an answer no longer waits either.
    second.emit('close');
    await work;
    expect(resumed).toBe(true);
  });

  it('counts an answer once, whether finish or close or both', async () => {
    const answered = response();
    const open = response();
    countUntilAnswered(answered);
    countUntilAnswered(open);
    answered.emit('finish');
    answered.emit('close');
    let resumed = false;
    const work = yieldToWaitingRequests().then(() => {
      resumed = true;
    });
    await turns(5);
    expect(resumed).toBe(false);
    open.emit('finish');
    await work;
  });

  it('goes ahead after a second when a request is never answered', async () => {
    const stuck = response();
    countUntilAnswered(stuck);
    const started = Date.now();
    await yieldToWaitingRequests();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    stuck.emit('close');
  });

  it('only yields a turn when nothing waits', async () => {
    const started = Date.now();
    await yieldToWaitingRequests();
    expect(Date.now() - started).toBeLessThan(100);
  });
});
