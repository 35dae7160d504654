import { GraphError } from './errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No call is retried, and no hold waited out, past this much time since the first attempt. */
  maxTotalMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  maxTotalMs: 20_000,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
};

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; error: GraphError };

/**
 * Decides whether a failed attempt is tried again and after how long.
 * Exponential backoff with full jitter; a server-given wait (Retry-After, Meta's regain estimate) wins when longer.
 * A wait that would overrun the time bound fails fast with an error that says when to try again.
 */
export function decideRetry(
  error: GraphError,
  attempt: number,
  elapsedMs: number,
  policy: RetryPolicy,
  serverWaitMs: number | undefined,
  now: number,
  random: () => number = Math.random,
): RetryDecision {
  if (!error.retryable) return { retry: false, error };

  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(random() * backoff);
  const delayMs = Math.max(jittered, serverWaitMs ?? 0);

  if (elapsedMs + delayMs > policy.maxTotalMs && serverWaitMs !== undefined && serverWaitMs > 0) {
    return { retry: false, error: withRetryAt(error, new Date(now + serverWaitMs)) };
  }
  if (attempt >= policy.maxAttempts || elapsedMs + delayMs > policy.maxTotalMs) return { retry: false, error };
  return { retry: true, delayMs };
}

export function withRetryAt(error: GraphError, retryAt: Date): GraphError {
  return new GraphError({
    message: error.message,
    category: error.category,
    status: error.status,
    code: error.code,
    subcode: error.subcode,
    type: error.type,
    fbtraceId: error.fbtraceId,
    isTransient: error.isTransient,
    userTitle: error.userTitle,
    userMessage: error.userMessage,
    retryAt,
    cause: error.cause,
  });
}

/** `Retry-After` in seconds or as an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
