import { describe, expect, it } from 'vitest';
import {
  accessRequestSchema,
  approvalsOf,
  approve,
  cancel,
  decider,
  deny,
  expire,
  expireUnretried,
  fail,
  InvalidTransitionError,
  isFinal,
  isRetryOverdue,
  retry,
  retryDeadline,
  startExecution,
  succeed,
} from '../../src/access/request.js';
import { at, later, pendingRequest } from '../support/requests.js';

const HOUR = 3_600_000;

describe('request states', () => {
  it('goes pending → approved → executing → succeeded, each state valid against its schema', () => {
    const approved = approve(pendingRequest(), 'UANN', at);
    const executing = startExecution(approved, at, 60_000);
    const succeeded = succeed(executing, later, ['MANAGE', 'MESSAGING']);
    for (const state of [approved, executing, succeeded]) expect(accessRequestSchema.parse(state)).toEqual(state);
    expect(executing.leaseUntil).toBe('2026-01-01T10:01:00.000Z');
    expect(executing.attempts).toBe(1);
    expect(decider(succeeded)).toMatchObject({ by: 'UANN', decision: 'approve' });
    expect(isFinal(succeeded)).toBe(true);
  });

  it('stays pending until enough different approvers approve', () => {
    const asked = pendingRequest({ approvalsRequired: 3 });
    const once = approve(asked, 'UANN', at);
    const again = approve(once, 'UANN', later);
    expect([once.state, again.state]).toEqual(['pending', 'pending']);
    const twice = approve(again, 'UBOB', later);
    expect(twice.state).toBe('pending');
    const thrice = approve(twice, 'UCAROL', later);
    expect(thrice.state).toBe('approved');
    expect(approvalsOf(thrice).map((approval) => approval.by)).toEqual(['UANN', 'UANN', 'UBOB', 'UCAROL']);
    expect(accessRequestSchema.parse(thrice)).toEqual(thrice);
  });

  it('fails with Meta’s error and can be retried into a new execution', () => {
    const executing = startExecution(approve(pendingRequest(), 'UANN', at), at, 1);
    const failed = fail(executing, later, { message: 'expired', category: 'auth', code: 190 }, HOUR);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 190 }, retryUntil: '2026-01-01T12:00:00.000Z' });
    const again = startExecution(retry(failed, 'UBOB', later), later, 1);
    expect(again.state).toBe('executing');
    expect(again.decisions.map((d) => d.decision)).toEqual(['approve', 'retry']);
    expect(decider(again)?.by).toBe('UANN');
    expect('error' in again).toBe(false);
  });

  it('expires a failure nobody retried by its deadline, keeping how it failed', () => {
    const executing = startExecution(approve(pendingRequest(), 'UANN', at), at, 1);
    const error = { message: 'Permissions error', category: 'permission', code: 200 };
    const failed = fail(executing, later, error, HOUR);
    const deadline = new Date(later.getTime() + HOUR);
    const justBefore = new Date(deadline.getTime() - 1);
    expect(isRetryOverdue(failed, justBefore, HOUR)).toBe(false);
    expect(() => expireUnretried(failed, justBefore, HOUR)).toThrow(InvalidTransitionError);
    expect(isRetryOverdue(failed, deadline, HOUR)).toBe(true);
    const expired = expireUnretried(failed, deadline, HOUR);
    expect(expired).toMatchObject({
      state: 'expired',
      finishedAt: deadline.toISOString(),
      failure: { at: later.toISOString(), error, retryUntil: deadline.toISOString() },
    });
    expect(accessRequestSchema.parse(expired)).toEqual(expired);
    expect(isFinal(expired)).toBe(true);
    expect(() => retry(expired, 'UBOB', deadline)).toThrow(InvalidTransitionError);
    expect(() => expireUnretried(pendingRequest(), deadline, HOUR)).toThrow(InvalidTransitionError);
  });

  it('keeps a failure recorded before failures had a deadline retryable for the TTL in force', () => {
    const executing = startExecution(approve(pendingRequest(), 'UANN', at), at, 1);
    const { retryUntil: _none, ...stored } = fail(executing, later, { message: 'x', category: 'unknown' }, HOUR);
    const legacy = accessRequestSchema.parse(stored);
    if (legacy.state !== 'failed') throw new Error(legacy.state);
    expect(retryDeadline(legacy, 2 * HOUR)).toEqual(new Date(later.getTime() + 2 * HOUR));
    expect(expireUnretried(legacy, new Date(later.getTime() + 2 * HOUR), 2 * HOUR).failure?.retryUntil).toBe(
      '2026-01-01T13:00:00.000Z',
    );
  });

  it('takes over an executing request whose lease ran out, counting the attempt', () => {
    const executing = startExecution(approve(pendingRequest(), 'UANN', at), at, 1);
    expect(startExecution(executing, later, 1).attempts).toBe(2);
  });

  it('ends pending requests by denial with a reason, expiry or cancellation', () => {
    expect(deny(pendingRequest(), 'UBOB', at, 'no')).toMatchObject({ state: 'denied', decisions: [{ reason: 'no' }] });
    expect(expire(pendingRequest(), later)).toMatchObject({ state: 'expired', finishedAt: later.toISOString() });
    expect(cancel(pendingRequest(), 'ULEAD', at)).toMatchObject({ state: 'canceled', canceledBy: 'ULEAD' });
  });

  it('refuses every other move', () => {
    const denied = deny(pendingRequest(), 'UBOB', at);
    expect(() => approve(denied, 'UANN', at)).toThrow(InvalidTransitionError);
    expect(() => deny(denied, 'UANN', at)).toThrow(/denied request cannot become denied/);
    expect(() => startExecution(pendingRequest(), at, 1)).toThrow(InvalidTransitionError);
    expect(() => succeed(pendingRequest(), at, [])).toThrow(InvalidTransitionError);
    expect(() => retry(pendingRequest(), 'UANN', at)).toThrow(InvalidTransitionError);
    expect(() => expire(approve(pendingRequest(), 'UANN', at), at)).toThrow(InvalidTransitionError);
  });

  it('rejects stored records that are not a valid state', () => {
    expect(() => accessRequestSchema.parse({ ...pendingRequest(), state: 'granted' })).toThrow();
    expect(() => accessRequestSchema.parse({ ...pendingRequest(), state: 'executing' })).toThrow();
  });
});
