import { describe, expect, it } from 'vitest';
import { GraphError } from '../../src/graph/errors.js';
import { DEFAULT_RETRY_POLICY, decideRetry, parseRetryAfter } from '../../src/graph/retry.js';

const transient = new GraphError({ message: 'boom', category: 'transient', code: 2 });
const throttled = new GraphError({ message: 'slow down', category: 'throttled', code: 80008 });
const policy = { maxAttempts: 4, maxTotalMs: 20_000, baseDelayMs: 200, maxDelayMs: 5_000 };

describe('decideRetry', () => {
  it('backs off exponentially with full jitter', () => {
    const top = (attempt: number) => decideRetry(transient, attempt, 0, policy, undefined, 0, () => 0.999_999);
    expect(top(1)).toEqual({ retry: true, delayMs: 200 });
    expect(top(2)).toEqual({ retry: true, delayMs: 400 });
    expect(top(3)).toEqual({ retry: true, delayMs: 800 });
    expect(decideRetry(transient, 1, 0, policy, undefined, 0, () => 0)).toEqual({ retry: true, delayMs: 0 });
  });

  it('caps the backoff', () => {
    const decision = decideRetry(
      transient,
      3,
      0,
      { ...policy, maxAttempts: 10, maxDelayMs: 300 },
      undefined,
      0,
      () => 0.999_999,
    );
    expect(decision).toEqual({ retry: true, delayMs: 300 });
  });

  it('stops after the last attempt', () => {
    expect(decideRetry(transient, 4, 0, policy, undefined, 0, () => 0.5)).toMatchObject({ retry: false });
  });

  it('never retries auth, permission or invalid errors', () => {
    for (const category of ['auth', 'permission', 'invalid', 'not_found', 'unknown'] as const) {
      const error = new GraphError({ message: category, category });
      expect(decideRetry(error, 1, 0, policy, undefined, 0)).toEqual({ retry: false, error });
    }
  });

  it('waits at least as long as the server asks', () => {
    expect(decideRetry(throttled, 1, 0, policy, 3_000, 0, () => 0)).toEqual({ retry: true, delayMs: 3_000 });
  });

  it('fails fast, saying when to try again, when the server asks for more than the bound allows', () => {
    const decision = decideRetry(throttled, 1, 0, policy, 30 * 60_000, 1_000_000, () => 0);
    expect(decision.retry).toBe(false);
    if (decision.retry) return;
    expect(decision.error.retryAt).toEqual(new Date(1_000_000 + 30 * 60_000));
    expect(decision.error.code).toBe(80008);
  });

  it('gives up when the backoff would overrun the total time', () => {
    expect(decideRetry(transient, 2, 19_900, policy, undefined, 0, () => 0.999)).toMatchObject({ retry: false });
  });

  it('has bounded defaults', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeGreaterThan(1);
    expect(DEFAULT_RETRY_POLICY.maxTotalMs).toBeLessThanOrEqual(60_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', 0)).toBe(7_000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
