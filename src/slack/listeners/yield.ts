import { setImmediate } from 'node:timers/promises';

/** The longest work after an ack waits for other requests' acks; past it, work runs anyway (steady load). */
const MAX_DEFER_MS = 1_000;
/**
 * How much work may be held back at once: more than a burst of 200 (so a burst's acks all go first), bounded all the
 * same. Under steady load some request is always waiting, so held work would otherwise pile up behind it.
 */
const MAX_DEFERRED = 512;

/** Work held back right now. */
let deferred = 0;

/** Slack requests received over HTTP and not answered yet. */
let waiting = 0;
/** Resolves when `waiting` next reaches zero; shared by everyone deferring. */
let noneWaiting: { promise: Promise<void>; resolve: () => void } | undefined;

/**
 * Counts a Slack request as waiting for its answer; the function returned uncounts it (once, however often it is
 * called) and is called by whoever answers it. The HTTP server counts every Slack request it receives, so work after
 * an ack can let every waiting ack go first.
 */
export function countUntilAnswered(): () => void {
  waiting++;
  let counted = true;
  return () => {
    if (!counted) return;
    counted = false;
    waiting--;
    if (waiting === 0 && noneWaiting) {
      noneWaiting.resolve();
      noneWaiting = undefined;
    }
  };
}

function untilNoneWaiting(): Promise<void> {
  if (!noneWaiting) {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    noneWaiting = { promise, resolve };
  }
  return noneWaiting.promise;
}

/**
 * Called right after `ack()`: holds this request's slower work (store, Graph, Slack calls) until no other request
 * waits for its ack, at most a second, and at most `MAX_DEFERRED` pieces of work at once. Under a burst every ack goes out first, instead of the last ones waiting
 * behind the first ones' work; and the burst's work then starts together. Without an HTTP server (Socket Mode),
 * nothing is counted and this only yields one turn of the event loop.
 */
export async function yieldToWaitingRequests(): Promise<void> {
  const deadline = Date.now() + MAX_DEFER_MS;
  // A turn of the event loop first, so requests whose bytes have already arrived are read and counted.
  await setImmediate();
  if (deferred >= MAX_DEFERRED) return;
  deferred++;
  try {
    while (waiting > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        untilNoneWaiting(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
      await setImmediate();
    }
  } finally {
    deferred--;
  }
}
