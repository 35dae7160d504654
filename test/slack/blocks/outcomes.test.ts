import { describe, expect, it } from 'vitest';
import { formFieldError, refusalWords, retryRefusalText } from '../../../src/slack/blocks/outcomes.js';

const HOUR = 3_600_000;
const said = (refusal: Parameters<typeof refusalWords>[0]) => {
  const { problem, hint } = refusalWords(refusal);
  return { problem: problem.text, hint: hint.text };
};

describe('refusalWords', () => {
  it('says what was wrong and what to type instead, as the command replies always have', () => {
    expect(said({ kind: 'unknown-account', alias: 'nope', aliases: ['support', 'sales'] })).toEqual({
      problem: 'There is no account called `nope`; nothing was done.',
      hint: 'Accounts: `support`, `sales` (`/waba accounts` shows each one’s rules).',
    });
    expect(said({ kind: 'too-long', askedMs: 8 * 24 * HOUR, maxMs: 7 * 24 * HOUR })).toEqual({
      problem: '8d is longer than the longest grant allowed (7d).',
      hint: 'Ask for 7d or less; it can be extended later.',
    });
    expect(
      said({ kind: 'not-requestable', account: 'support', tasks: ['FULL_CONTROL'], allowed: ['MESSAGING'] }),
    ).toEqual({
      problem: 'FULL_CONTROL can’t be requested on *support*; nothing was requested.',
      hint: 'Tasks that can be requested there: MESSAGING.',
    });
    expect(said({ kind: 'extension-too-long', totalMs: 5 * HOUR, maxMs: 4 * HOUR, mostMs: 3 * HOUR }).hint).toBe(
      'Ask for at most 3h more.',
    );
    expect(said({ kind: 'too-few-approvers', account: 'support', required: 2, possible: 1 }).problem).toContain(
      'only 1 approver(s) other than you',
    );
  });

  it('escapes what people typed, keeping the code spans it is shown in', () => {
    expect(said({ kind: 'unknown-account', alias: '<!here>`x', aliases: [] }).problem).toBe(
      'There is no account called `&lt;!here&gt;ˋx`; nothing was done.',
    );
    expect(said({ kind: 'permanent-off', maxMs: 4 * HOUR }).hint).toBe(
      'Say for how long, e.g. `/waba grant &lt;id&gt; MESSAGING for 4h` (at most 4h).',
    );
  });
});

describe('retryRefusalText', () => {
  it('says why Retry sent nothing, and what to do instead', () => {
    expect(retryRefusalText({ kind: 'retry-window-passed', until: '2026-03-01T10:00:00.000Z' }).text).toBe(
      'The time to retry this request ended <!date^1772359200^{date_short_pretty} at {time}|2026-03-01 10:00 UTC>, so it has expired and can no longer be retried; nothing was sent. Ask for it again with `/waba grant …` so it is decided under today’s rules.',
    );
    expect(
      retryRefusalText({ kind: 'tasks-withdrawn', account: 'support', tasks: ['VIEW_COST'], allowed: ['MESSAGING'] })
        .text,
    ).toBe(
      'VIEW_COST can no longer be requested on support, so this request cannot be retried; nothing was sent. Tasks that can be requested there now: MESSAGING.',
    );
  });
});

describe('formFieldError', () => {
  it('puts the rulebook’s problems next to the form’s fields, and leaves those it has no field for', () => {
    expect(formFieldError({ field: 'reason', problem: { kind: 'reason-required', account: 'sales' } })).toEqual({
      field: 'reason',
      text: 'Requests on sales need a reason.',
    });
    expect(formFieldError({ field: 'duration', problem: { kind: 'permanent-off', maxMs: HOUR } })).toEqual({
      field: 'duration',
      text: 'Say for how long: at most 1h.',
    });
    expect(
      formFieldError({ field: 'duration', problem: { kind: 'break-glass-too-long', askedMs: 2 * HOUR, maxMs: HOUR } }),
    ).toEqual({
      field: 'duration',
      text: 'Break-glass lasts at most 1h.',
    });
    expect(formFieldError({ field: 'emergency', problem: { kind: 'break-glass-revoke' } })).toEqual({
      field: 'emergency',
      text: 'Break-glass only gives access; untick this for a revoke.',
    });
    expect(
      formFieldError({ field: 'requester', problem: { kind: 'not-a-requester', account: 'sales' } }),
    ).toBeUndefined();
  });
});
