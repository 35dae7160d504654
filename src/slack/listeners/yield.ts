import { setImmediate } from 'node:timers/promises';

/**
 * Called right after `ack()`: lets the event loop answer requests that are already waiting for their ack before
 * this one's slower work (store, Graph, Slack calls) takes the CPU. Under a burst this keeps every ack fast.
 */
export function yieldToWaitingRequests(): Promise<void> {
  return setImmediate();
}
