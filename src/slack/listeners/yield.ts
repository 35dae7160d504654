import { setImmediate } from 'node:timers/promises';

/** The longest work after an ack waits for other requests' acks; past it, work runs anyway (steady load). */
const MAX_DEFER_MS = 1_000;
/**
 * A burst's requests do not arrive all at once: a sender's connections trickle in, so "none waiting" happens between
 * them. Held work goes ahead only once no request has arrived for this long, so it does not slip into those gaps and
 * delay the rest of the burst. Short enough that nobody notices it on a reply.
 */
const QUIET_MS = 20;
/**
 * How much work may be held back at once: more than a burst of 200 (so a burst's acks all go first), bounded all the
 * same. Under steady load some request is always waiting, so held work would otherwise pile up behind it; past the
 * bound, the oldest held work goes ahead.
 */
const MAX_DEFERRED = 512;

interface Held {
  release: () => void;
  /** `Date.now()` past which it goes ahead whatever is waiting. */
  deadline: number;
}

/**
 * Work held back right now, in the order it was held. It is only ever released from the front, so work goes ahead in
 * the order its requests arrived: two approvers' clicks a few milliseconds apart are decided in that order.
 */
const held: Held[] = [];
/** Slack requests received over HTTP and not answered yet. */
let waiting = 0;
/** When the latest Slack request (or connection that will carry one) arrived, `Date.now()`; 0 before any. */
let lastArrival = 0;
/** The one timer that releases held work when its time comes. */
let timer: NodeJS.Timeout | undefined;

/**
 * Counts a Slack request as waiting for its answer; the function returned uncounts it (once, however often it is
 * called) and is called by whoever answers it. The HTTP server counts every Slack request it receives, so work after
 * an ack can let every waiting ack go first.
 */
export function countUntilAnswered(): () => void {
  waiting++;
  lastArrival = Date.now();
  let counted = true;
  return () => {
    if (!counted) return;
    counted = false;
    waiting--;
    if (waiting === 0) release();
  };
}

/**
 * Notes that a connection has opened: its request is on its way, so held work keeps waiting a little longer. A
 * burst's first requests come on new connections, whose requests arrive over a few hundred milliseconds.
 */
export function noteConnection(): void {
  lastArrival = Date.now();
}

/**
 * Releases, from the front, the held work whose time has come: all of it once nothing waits and the quiet spell has
 * passed, otherwise what is past its deadline. Then sets the one timer for the next release.
 */
function release(): void {
  clearTimeout(timer);
  timer = undefined;
  const now = Date.now();
  const quietAt = lastArrival + QUIET_MS;
  let due = 0;
  if (waiting === 0 && now >= quietAt) due = held.length;
  else while (due < held.length && (held[due] as Held).deadline <= now) due++;
  for (const work of held.splice(0, due)) work.release();
  const next = held[0];
  if (!next) return;
  const at = waiting === 0 ? Math.min(quietAt, next.deadline) : next.deadline;
  timer = setTimeout(release, Math.max(1, at - now));
  timer.unref();
}

/**
 * Called right after `ack()`: holds this request's slower work (store, Graph, Slack calls) until no other request
 * waits for its ack and none has arrived for a moment, at most a second. Under a burst every ack goes out first,
 * instead of the last ones waiting behind the first ones' work; then the burst's work goes ahead in arrival order.
 * Without an HTTP server (Socket Mode), nothing is counted and this only yields one turn of the event loop.
 */
export async function yieldToWaitingRequests(): Promise<void> {
  // A turn of the event loop first, so requests whose bytes have already arrived are read and counted.
  await setImmediate();
  if (waiting === 0 && Date.now() >= lastArrival + QUIET_MS && held.length === 0) return;
  if (held.length >= MAX_DEFERRED) held.shift()?.release();
  await new Promise<void>((resolve) => {
    held.push({ release: resolve, deadline: Date.now() + MAX_DEFER_MS });
    if (!timer) release();
  });
}
