import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/slack/limits.js';
import { decodePrefill, encodePrefill, type Prefill, prefillOf } from '../../src/slack/request-again.js';
import { pendingRequest } from '../support/requests.js';

describe('Request again values', () => {
  it('carry a request’s kind, account, person, tasks, length and reason, and read back the same', () => {
    const request = pendingRequest({
      accountAlias: 'support',
      targetUserId: '300000000000001',
      targetSlackId: 'UALICE',
      tasks: ['MESSAGING', 'VIEW_COST'],
      durationMs: 4 * 3_600_000,
      reason: 'quarterly report',
    });
    const prefill = prefillOf(request)!;
    expect(prefill).toEqual({
      kind: 'grant',
      account: 'support',
      userId: '300000000000001',
      person: 'UALICE',
      tasks: ['MESSAGING', 'VIEW_COST'],
      durationMs: 4 * 3_600_000,
      reason: 'quarterly report',
    });
    expect(decodePrefill(encodePrefill(prefill))).toEqual(prefill);
    expect(prefillOf({ ...request, kind: 'extend' })).toBeUndefined();
  });

  it('fit in a button, cutting a long reason, never between the halves of a character', () => {
    const prefill: Prefill = {
      kind: 'grant',
      userId: '300000000000001',
      tasks: ['MESSAGING'],
      reason: '😀'.repeat(600),
    };
    const value = encodePrefill(prefill);
    expect(value.length).toBeLessThanOrEqual(LIMITS.buttonValue);
    const back = decodePrefill(value)!;
    expect(back.reason!.length).toBeLessThanOrEqual(500);
    expect(back.reason).toMatch(/^(😀)+$/u);
    const quoted = encodePrefill({ ...prefill, reason: '"\\'.repeat(500) });
    expect(quoted.length).toBeLessThanOrEqual(LIMITS.buttonValue);
  });

  it.each([
    '',
    'not json',
    '{"k":"grant","u":"<!channel>","t":[]}',
    '{"k":"delete","u":"300000000000001","t":[]}',
    '{"k":"grant","u":"300000000000001","t":["ROOT"]}',
    '{"k":"grant","u":"300000000000001","t":[],"p":"<@U1>"}',
    '[]',
    'null',
  ])('read a forged value %s as nothing', (value) => {
    expect(decodePrefill(value)).toBeUndefined();
  });
});
